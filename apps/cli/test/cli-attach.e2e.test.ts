import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, daemonEnv, freePorts, isAlive, postmasterPid, startDaemon, waitHealthy, type Daemon } from './support/daemon.js';

const dataDir = mkdtempSync(join(tmpdir(), 'elemta-attach-'));
let daemon: Daemon | null = null;
afterAll(async () => {
  if (daemon?.child.pid && daemon.child.exitCode === null) {
    process.kill(daemon.child.pid, 'SIGTERM');
    await daemon.exited;
  }
  const pid = postmasterPid(dataDir);
  if (pid && isAlive(pid)) process.kill(-pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

const run = (env: Record<string, string>, ...args: string[]) => new Promise<{ code: number | null; out: string }>((resolve) => {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  child.once('close', (code) => resolve({ code, out }));
});

describe('CLI commands beside a daemon on embedded PostgreSQL', () => {
  it('use the running PostgreSQL of the data directory instead of stopping it', async () => {
    const ports = await freePorts();
    daemon = startDaemon(dataDir, ports, { ELEMTA_DELIVERY_WORKERS: 'false' });
    await waitHealthy(daemon, ports.http);
    const pg = postmasterPid(dataDir)!;
    const env = daemonEnv(dataDir, ports);

    const listed = await run(env, 'queue', 'ls', '--json');
    expect(listed.code, listed.out).toBe(0);
    const verified = await run(env, 'verify');
    expect(verified.code, verified.out).toBe(0);
    expect(verified.out).toMatch(/^ok: \d+ streams, \d+ events verified$/m);

    expect(postmasterPid(dataDir)).toBe(pg);
    expect((await fetch(`http://127.0.0.1:${ports.http}/healthz`)).status).toBe(200);
  });
});
