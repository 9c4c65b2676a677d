import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { runningPostmaster } from './embedded-postgres.js';

/**
 * The URL of the embedded PostgreSQL already running in `dataDir` (started by `elemta serve`), or null when none runs
 * or it does not answer. Short-lived commands (`elemta queue`, `events export`, `verify`) use it instead of
 * `startEmbeddedPostgres`, which would stop that server as an orphan. The port is read from `postmaster.pid`.
 */
export const attachRunningEmbeddedPostgres = async (options: Readonly<{ dataDir: string; database: string }>): Promise<string | null> => {
  const { dataDir, database } = options;
  if (runningPostmaster(dataDir) === null) return null;
  const passwordFile = join(dirname(dataDir), 'pg-password');
  if (!existsSync(passwordFile)) return null;
  // postmaster.pid: pid, data directory, start time, port, … (one per line)
  const port = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[3]);
  if (!Number.isInteger(port) || port <= 0) return null;
  const password = readFileSync(passwordFile, 'utf8').trim();
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return url;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => {});
  }
};
