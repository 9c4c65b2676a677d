import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../postgres/embedded-postgres.js';
import { freePort } from './free-port.js';

const quiet = { info: () => {}, warn: () => {} };

/**
 * A real PostgreSQL for a test run: `DATABASE_URL` when set (an external server), otherwise
 * embedded PostgreSQL in a fresh temporary directory on a free port. `stop` removes what it created.
 */
export const startTestPostgres = async (): Promise<{ url: string; stop: () => Promise<void> }> => {
  const external = process.env['ELEMTA_TEST_DATABASE_URL'];
  if (external) return { url: external, stop: async () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'elemta-test-pg-'));
  const running = await startEmbeddedPostgres({
    dataDir: join(dir, 'pg'), port: await freePort(), database: 'postgres', log: quiet,
    settings: { fsync: 'on', max_connections: '300' },
  });
  return {
    url: running.url,
    stop: async () => {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/** A new, empty database on the test server; each test file gets its own. */
export const createTestDatabase = async (serverUrl: string, prefix = 't'): Promise<string> => {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
};
