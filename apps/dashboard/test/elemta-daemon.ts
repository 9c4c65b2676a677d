import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@elemta/infra/testing';

/** The `elemta` command as the lead builds it (`apps/cli/dist/main.js`). */
export const CLI_MAIN = fileURLToPath(new URL('../../cli/dist/main.js', import.meta.url));

export type RunningDaemon = {
  dataDir: string;
  ports: { smtp: number; http: number; pg: number };
  baseUrl: string;
  adminKey: string;
  /** The daemon's recent stdout and stderr, for failure messages. */
  output: () => string;
  /** SIGTERM, then waits for the process to exit (SIGKILL after `graceMs`); removes the data directory. */
  stop: (graceMs?: number) => Promise<number | null>;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const captureOutput = (child: ChildProcess): (() => string) => {
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 80));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => lines.join('\n');
};

const waitForHealth = async (child: ChildProcess, url: string, timeoutMs: number, output: () => string) => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`elemta serve exited (${child.exitCode ?? child.signalCode}) before /healthz answered:\n${output()}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`GET ${url} did not answer 200 within ${timeoutMs} ms:\n${output()}`);
};

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once('exit', (code) => resolve(code)));

/**
 * Starts `elemta serve` on free ports with a fresh data directory (embedded PostgreSQL inside it),
 * waits until `/healthz` answers 200 and reads the admin key the daemon created on first start.
 */
export const startElemtaDaemon = async (options: { healthTimeoutMs?: number } = {}): Promise<RunningDaemon> => {
  if (!existsSync(CLI_MAIN)) {
    throw new Error(`${CLI_MAIN} does not exist: build the daemon first (cd /work/main && npx turbo run build --filter=@elemta/cli...)`);
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'elemta-dashboard-e2e-'));
  const ports = { smtp: await freePort(), http: await freePort(), pg: await freePort() };
  const child = spawn(process.execPath, [CLI_MAIN, 'serve'], {
    env: {
      ...process.env,
      ELEMTA_DATA_DIR: dataDir,
      ELEMTA_SMTP_PORT: String(ports.smtp),
      ELEMTA_SUBMISSION_PORT: '0',
      ELEMTA_HTTP_PORT: String(ports.http),
      ELEMTA_PG_PORT: String(ports.pg),
      ELEMTA_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = captureOutput(child);
  const baseUrl = `http://127.0.0.1:${ports.http}`;
  const stop = async (graceMs = 30_000): Promise<number | null> => {
    const done = exited(child);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await done;
    clearTimeout(timer);
    await rm(dataDir, { recursive: true, force: true });
    return code;
  };
  try {
    await waitForHealth(child, `${baseUrl}/healthz`, options.healthTimeoutMs ?? 90_000, output);
    const adminKey = (await readFile(join(dataDir, 'admin.key'), 'utf8')).trim();
    return { dataDir, ports, baseUrl, adminKey, output, stop };
  } catch (err) {
    await stop(10_000);
    throw err;
  }
};
