import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPool, runMigrations } from '../postgres/index.js';
import { createTestDatabase } from '../testing/test-postgres.js';
import { describeBlobStoreContract } from './blob-store.contract.js';
import { FileBlobStore } from './file-blob-store.js';
import { PostgresBlobStore, blobStoreMigrations } from './postgres-blob-store.js';
import { TieredBlobStore } from './tiered-blob-store.js';

let pool: pg.Pool;
const dirs: string[] = [];
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'elemta-tiered-')); dirs.push(d); return d; };
beforeAll(async () => {
  pool = createPool(await createTestDatabase(inject('postgresUrl'), 'tiered'), { max: 30 });
  await runMigrations(pool, blobStoreMigrations);
});
afterAll(async () => {
  await pool.end();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

describeBlobStoreContract('TieredBlobStore', async () => ({
  store: new TieredBlobStore(new PostgresBlobStore({ pool }), new FileBlobStore({ dir: tempDir() }), 1024),
  teardown: async () => {},
}));

describe('TieredBlobStore placement', () => {
  it('keeps bodies up to the limit in PostgreSQL and larger ones in files', async () => {
    const files = new FileBlobStore({ dir: tempDir() });
    const store = new TieredBlobStore(new PostgresBlobStore({ pool }), files, 1024);
    const small = await store.put(Buffer.alloc(1024, 1));
    const large = await store.put(Buffer.alloc(1025, 2));
    const inTable = async (ref: string) => (await pool.query('SELECT 1 FROM blobs WHERE sha256 = $1', [ref])).rowCount === 1;
    expect(await inTable(small.ref)).toBe(true);
    expect(existsSync(files.pathOf(small.ref))).toBe(false);
    expect(await inTable(large.ref)).toBe(false);
    expect(existsSync(files.pathOf(large.ref))).toBe(true);
    expect(Buffer.from((await store.get(large.ref))!)).toEqual(Buffer.alloc(1025, 2));
  });
});

describe('PostgresBlobStore group commit', () => {
  it('stores a burst of concurrent puts in a few statements, each put resolving after its commit', async () => {
    let statements = 0;
    const counting = { query: (...args: Parameters<pg.Pool['query']>) => { statements++; return (pool.query as (...a: unknown[]) => unknown)(...args); } } as unknown as pg.Pool;
    const store = new PostgresBlobStore({ pool: counting });
    const bodies = Array.from({ length: 300 }, (_, i) => Buffer.from(`Subject: burst ${i}\r\n\r\nbody ${i}\r\n`));
    const stored = await Promise.all(bodies.map((b) => store.put(b)));
    expect(statements).toBeLessThanOrEqual(10);
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM blobs WHERE sha256 = ANY($1)', [stored.map((s) => s.ref)]);
    expect(rows[0].n).toBe(300);
  });
});
