import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@elemta/infra/testing';
import { CLI, daemonEnv, freePorts, isAlive, postmasterPid, startDaemon, waitHealthy, type Daemon, type Ports } from './support/daemon.js';

const dataDir = mkdtempSync(join(tmpdir(), 'elemta-users-'));
let ports: Ports;
let submissionPort: number;
let daemon: Daemon | null = null;

beforeAll(async () => {
  ports = await freePorts();
  submissionPort = await freePort();
});

afterAll(async () => {
  if (daemon && daemon.child.exitCode === null) {
    process.kill(daemon.child.pid!, 'SIGTERM');
    await daemon.exited;
  }
  const pid = postmasterPid(dataDir);
  if (pid && isAlive(pid)) process.kill(-pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}) => daemonEnv(dataDir, ports, { ELEMTA_SUBMISSION_PORT: String(submissionPort), ...extra });

/** Runs `elemta users …` with `input` on its stdin (a pipe, not a terminal). */
const users = (args: string[], input = '', extra: Record<string, string> = {}) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI, 'users', ...args], { env: env(extra), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input);
  });

/** Over STARTTLS, trusting the self-signed certificate the daemon made in its data directory. */
const login = (user: string, pass: string) => nodemailer.createTransport({
  host: '127.0.0.1', port: submissionPort, secure: false, requireTLS: true, auth: { user, pass },
  tls: { ca: [readFileSync(join(dataDir, 'tls', 'self-signed-cert.pem'))], servername: 'localhost' },
}).sendMail({ from: 'alice@example.org', to: 'bob@example.net', text: 'hi' })
  .then((info) => Number(info.response.slice(0, 3)), (err: { responseCode?: number }) => err.responseCode ?? -1);

describe('elemta users', () => {
  it('adds a user from stdin on a stopped data directory, and refuses a second one of the same name', async () => {
    const added = await users(['add', 'Alice@Example.org'], 'first-password\n');
    expect(added.stderr).toBe('');
    expect(added.status).toBe(0);
    expect(added.stdout).toContain('added user alice@example.org');
    expect(postmasterPid(dataDir)).toBeNull(); // the embedded PostgreSQL it started is stopped again

    const again = await users(['add', 'alice@example.org', '--password-stdin'], 'other');
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/user alice@example\.org already exists/);

    const list = await users(['list']);
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/^alice@example\.org\tcreated \d{4}-/m);
  });

  it('refuses an empty password, a missing name and bad configuration', async () => {
    expect((await users(['add', 'bob'], '\n')).status).toBe(1);
    expect((await users(['add'], 'pw')).status).toBe(64);
    expect((await users(['frobnicate'])).status).toBe(64);
    const bad = await users(['list'], '', { ELEMTA_PG_PORT: 'not-a-port' });
    expect(bad.status).toBe(78);
    expect(bad.stderr).toMatch(/postgres\.port/);
  });

  it('changes a password and removes a user while elemta serve runs, effective at once', async () => {
    daemon = startDaemon(dataDir, ports, { ELEMTA_SUBMISSION_PORT: String(submissionPort) });
    await waitHealthy(daemon, ports.http);
    // the SMTP listeners open after HTTP, once the self-signed certificate is made
    await expect.poll(() => existsSync(join(dataDir, 'tls', 'self-signed-cert.pem')), { timeout: 15_000 }).toBe(true);
    await expect.poll(() => login('alice@example.org', 'first-password'), { timeout: 15_000 }).toBe(250);

    const passwd = await users(['passwd', 'alice@example.org'], 'second-password\n');
    expect(passwd.status, passwd.stderr).toBe(0);
    expect(await login('alice@example.org', 'first-password')).toBe(535);
    expect(await login('alice@example.org', 'second-password')).toBe(250);
    expect((await users(['passwd', 'nobody'], 'x')).status).toBe(1);

    const removed = await users(['remove', 'alice@example.org']);
    expect(removed.status, removed.stderr).toBe(0);
    expect(await login('alice@example.org', 'second-password')).toBe(535);
    const again = await users(['remove', 'alice@example.org']);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/no user alice@example\.org/);
    expect((await users(['list', '--json'])).stdout.trim()).toBe('[]');

    // the admin stream names the user and the actor, never a password or a hash
    const key = readFileSync(join(dataDir, 'pg-password'), 'utf8').trim();
    const db = new pg.Client({ connectionString: `postgres://postgres:${encodeURIComponent(key)}@127.0.0.1:${ports.pg}/elemta` });
    await db.connect();
    try {
      const { rows } = await db.query<{ type: string; data: string; metadata: string }>(
        "SELECT type, data::text, metadata::text FROM events WHERE stream = 'admin-smtpUsers' ORDER BY version");
      expect(rows.map((r) => r.type)).toEqual(['SmtpUserAdded', 'SmtpUserPasswordChanged', 'SmtpUserRemoved']);
      const all = (await db.query<{ t: string }>('SELECT data::text || metadata::text AS t FROM events')).rows.map((r) => r.t).join('\n');
      for (const secret of ['first-password', 'second-password', 'scrypt$']) expect(all).not.toContain(secret);
      expect(rows[0]!.data).toMatch(/"actor": "cli:/);
    } finally {
      await db.end();
    }
  });
});
