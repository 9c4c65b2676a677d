import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPool, runMigrations } from '../postgres/index.js';
import type { Pool } from '../postgres/index.js';
import { createTestDatabase } from '../testing/test-postgres.js';
import { describeBlobStoreContract } from './blob-store.contract.js';
import { BlobCorruptedError } from './blob-store-errors.js';
import { PostgresBlobStore, blobStoreMigrations } from './postgres-blob-store.js';

let pool: Pool;
beforeAll(async () => {
  pool = createPool(await createTestDatabase(inject('postgresUrl'), 'blobs'), { max: 30 });
  await runMigrations(pool, blobStoreMigrations);
});
afterAll(async () => {
  await pool.end();
});

describeBlobStoreContract('PostgresBlobStore', async () => ({ store: new PostgresBlobStore({ pool }), teardown: async () => {} }));

describe('PostgresBlobStore table', () => {
  it('keeps one row per body, stored out of line and uncompressed', async () => {
    const store = new PostgresBlobStore({ pool });
    const body = Buffer.from('Subject: row\r\n\r\nbody\r\n');
    const { ref } = await store.put(body);
    await store.put(body);
    const rows = await pool.query('SELECT size FROM blobs WHERE sha256 = $1', [ref]);
    expect(rows.rows).toEqual([{ size: body.byteLength }]);
    const storage = await pool.query(`SELECT attstorage FROM pg_attribute WHERE attrelid = 'blobs'::regclass AND attname = 'body'`);
    expect(storage.rows).toEqual([{ attstorage: 'e' }]);
  });

  it('refuses to return a body that no longer matches its hash', async () => {
    const store = new PostgresBlobStore({ pool });
    const { ref } = await store.put(Buffer.from('original'));
    await pool.query(`UPDATE blobs SET body = 'tampered'::bytea WHERE sha256 = $1`, [ref]);
    await expect(store.get(ref)).rejects.toBeInstanceOf(BlobCorruptedError);
  });
});
