import { createHash } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { WrongExpectedVersionError } from '@elemta/domain';
import { blobStoreMigrations, PostgresBlobStore } from '../blob-store/index.js';
import { createPool, runMigrations } from '../postgres/index.js';
import { createTestDatabase } from '../testing/index.js';
import { metadataFor, newSession, probeEvent } from '../event-store/contract-fixtures.js';
import { eventStoreMigrations } from './migrations.js';
import { PostgresEventStore } from './postgres-event-store.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const fresh = async () => {
  const url = await createTestDatabase(inject('postgresUrl'), 'body');
  const pool = createPool(url, { max: 20 });
  await runMigrations(pool, [...eventStoreMigrations, ...blobStoreMigrations]);
  const store = new PostgresEventStore({ pool, listenUrl: url });
  cleanups.push(async () => { await store.close(); await pool.end(); });
  return { pool, store, blobs: new PostgresBlobStore({ pool }) };
};

const bodyOf = (text: string) => {
  const bytes = Buffer.from(text);
  return { sha256: createHash('sha256').update(bytes).digest('hex'), bytes };
};

describe('PostgresEventStore.appendWithBody', () => {
  it('commits a body and its events together, the body readable through the blob store', async () => {
    const { store, blobs } = await fresh();
    const s = newSession();
    const body = bodyOf('Subject: together\r\n\r\nbody and events in one transaction\r\n');
    const result = await store.appendWithBody(s.stream, [probeEvent(1), probeEvent(2)], { expectedVersion: 0, metadata: metadataFor(s.id) }, body);
    expect(result.version).toBe(2);
    expect((await store.readStream(s.stream)).events.map((e) => e.metadata.version)).toEqual([1, 2]);
    expect(Buffer.from((await blobs.get(body.sha256))!)).toEqual(body.bytes);
  });

  it('stores neither the body nor the events when the append conflicts', async () => {
    const { pool, store } = await fresh();
    const s = newSession();
    await store.appendToStream(s.stream, [probeEvent(1)], { expectedVersion: 0, metadata: metadataFor(s.id) });
    const body = bodyOf('Subject: loser\r\n\r\nmust not be stored\r\n');
    await expect(store.appendWithBody(s.stream, [probeEvent(2)], { expectedVersion: 0, metadata: metadataFor(s.id) }, body))
      .rejects.toBeInstanceOf(WrongExpectedVersionError);
    expect((await pool.query('SELECT count(*)::int AS n FROM blobs WHERE sha256 = $1', [body.sha256])).rows[0].n).toBe(0);
    expect((await store.readStream(s.stream)).version).toBe(1);
  });

  it('group-commits concurrent appends with bodies, and a conflict in the batch fails only its own caller', async () => {
    const { pool, store } = await fresh();
    const taken = newSession();
    await store.appendToStream(taken.stream, [probeEvent(1)], { expectedVersion: 0, metadata: metadataFor(taken.id) });
    const appends = Array.from({ length: 50 }, (_, i) => {
      const s = i === 25 ? taken : newSession();
      return store.appendWithBody(s.stream, [probeEvent(i)], { expectedVersion: 0, metadata: metadataFor(s.id) }, bodyOf(`body ${i}`));
    });
    const results = await Promise.allSettled(appends);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect((results[25] as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedVersionError);
    const stored = await pool.query('SELECT count(*)::int AS n FROM blobs');
    expect(stored.rows[0].n).toBe(49);
  });

  it('refuses a malformed body hash', async () => {
    const { store } = await fresh();
    const s = newSession();
    await expect(store.appendWithBody(s.stream, [probeEvent(1)], { expectedVersion: 0, metadata: metadataFor(s.id) }, { sha256: 'nope', bytes: Buffer.from('x') }))
      .rejects.toThrow(RangeError);
  });
});
