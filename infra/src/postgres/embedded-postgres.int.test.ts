import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../testing/free-port.js';
import { runningPostmaster, startEmbeddedPostgres } from './embedded-postgres.js';

const quiet = { info: () => {}, warn: () => {} };
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'elemta-epg-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const query = async (url: string, sql: string) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try { return (await client.query(sql)).rows; } finally { await client.end(); }
};

describe('embedded PostgreSQL', () => {
  it('initialises once, keeps data across restarts, and stops cleanly', async () => {
    const dir = tempDir();
    const port = await freePort();
    const first = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port, database: 'elemta', log: quiet });
    await query(first.url, 'CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)');
    await first.stop();
    expect(runningPostmaster(join(dir, 'pg'))).toBeNull();
    const second = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port, database: 'elemta', log: quiet });
    expect(await query(second.url, 'SELECT v FROM kept')).toEqual([{ v: 42 }]);
    await second.stop();
  });

  it('takes over from a PostgreSQL orphaned by an earlier process', async () => {
    const dir = tempDir();
    const port = await freePort();
    const orphan = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port, database: 'elemta', log: quiet });
    await query(orphan.url, 'CREATE TABLE kept (v int); INSERT INTO kept VALUES (7)');
    const warnings: string[] = [];
    const next = await startEmbeddedPostgres({
      dataDir: join(dir, 'pg'), port, database: 'elemta', log: { info: () => {}, warn: (_o, m) => warnings.push(m) },
    });
    expect(next.pid).not.toBe(orphan.pid);
    expect(warnings.join()).toMatch(/left running/);
    expect(await query(next.url, 'SELECT v FROM kept')).toEqual([{ v: 7 }]);
    await next.stop();
  });

  it('names the port when it is taken', async () => {
    const port = await freePort();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    try {
      await expect(startEmbeddedPostgres({ dataDir: join(tempDir(), 'pg'), port, database: 'elemta', log: quiet }))
        .rejects.toThrow(new RegExp(`port ${port} .* taken`));
    } finally {
      blocker.close();
    }
  });

  it('refuses a data directory that holds something else', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'pg'));
    writeFileSync(join(dir, 'pg', 'notes.txt'), 'not a database');
    await expect(startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: await freePort(), database: 'elemta', log: quiet }))
      .rejects.toThrow(/not a PostgreSQL data directory/);
  });

  it('refuses a data directory it cannot write', async () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, '');
    await expect(startEmbeddedPostgres({ dataDir: join(file, 'pg'), port: await freePort(), database: 'elemta', log: quiet }))
      .rejects.toThrow(/not usable/);
  });
});
