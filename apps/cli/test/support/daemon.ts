import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@elemta/infra/testing';

export const CLI = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export type Ports = { smtp: number; http: number; pg: number };
export type Daemon = { child: ChildProcess; output: () => string; exited: Promise<number | null> };

export const freePorts = async (): Promise<Ports> => ({ smtp: await freePort(), http: await freePort(), pg: await freePort() });

/** The environment of a test daemon: its own data directory and ports, nothing else from the outside. */
export const daemonEnv = (dataDir: string, ports: Ports, env: Record<string, string> = {}): Record<string, string> => ({
  PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp',
  ELEMTA_DATA_DIR: dataDir, ELEMTA_SMTP_PORT: String(ports.smtp), ELEMTA_SUBMISSION_PORT: '0',
  ELEMTA_HTTP_PORT: String(ports.http), ELEMTA_PG_PORT: String(ports.pg), ELEMTA_LOG_LEVEL: 'warn', ...env,
});

/** Starts `elemta serve` as a real process, in its own process group (so a test can kill the group). */
export const startDaemon = (dataDir: string, ports: Ports, env: Record<string, string> = {}): Daemon => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx turbo run build)`);
  const child = spawn(process.execPath, [CLI, 'serve'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: daemonEnv(dataDir, ports, env),
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
};

export const waitHealthy = async (daemon: Daemon, httpPort: number, timeoutMs = 90_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void daemon.exited.then(() => { exited = true; });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`elemta exited during start-up:\n${daemon.output()}`);
    try {
      const response = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
      if (response.status === 200) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`elemta did not become healthy within ${timeoutMs} ms:\n${daemon.output()}`);
};

export const postmasterPid = (dataDir: string): number | null => {
  const file = join(dataDir, 'pg', 'postmaster.pid');
  if (!existsSync(file)) return null;
  return Number(readFileSync(file, 'utf8').split('\n')[0]);
};

export const isAlive = (pid: number): boolean => {
  try { process.kill(pid, 0); return true; } catch { return false; }
};

export const adminKey = (dataDir: string): string => readFileSync(join(dataDir, 'admin.key'), 'utf8').trim();
