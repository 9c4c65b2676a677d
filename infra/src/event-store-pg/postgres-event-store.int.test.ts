import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { WrongExpectedVersionError, type StreamName } from '@elemta/domain';
import { createPool, runMigrations } from '../postgres/index.js';
import { createTestDatabase } from '../testing/index.js';
import { collect, metadataFor, newSession, probeEvent, sleep, waitFor, authEvent } from '../event-store/contract-fixtures.js';
import { describeEventStoreContract } from '../event-store/event-store.contract.js';
import { prepareAppend } from '../event-store/prepare-append.js';
import { GENESIS_HASH } from '../event-store/hash-chain.js';
import { verifyChain } from '../event-store/verify-stream.js';
import { eventStoreMigrations } from './migrations.js';
import { PostgresEventStore, type PostgresEventStoreOptions } from './postgres-event-store.js';
import { decodePgPosition, INSERT_SQL, insertParams, toInsertRows } from './queries.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A fresh database with the events table, and a store on it; everything is closed after the file. */
const freshStore = async (options: Partial<PostgresEventStoreOptions> = {}) => {
  const url = await createTestDatabase(inject('postgresUrl'), 'es');
  const pool = createPool(url, { max: 20 });
  await runMigrations(pool, eventStoreMigrations);
  const store = new PostgresEventStore({ pool, listenUrl: url, ...options });
  cleanups.push(async () => {
    await store.close();
    await pool.end();
  });
  return { url, pool, store };
};

describeEventStoreContract('PostgreSQL', async () => {
  const { store } = await freshStore();
  return { store, teardown: () => store.close() };
});

const appendOne = (store: PostgresEventStore, expectedVersion: number | 'any' = 0, stream?: StreamName) => {
  const s = newSession();
  return store.appendToStream(stream ?? s.stream, [probeEvent(1)], { expectedVersion, metadata: metadataFor(s.id) });
};

describe('PostgresEventStore reads and stream heads', () => {
  it('reads many streams at once in one statement, each with exactly its own events in order', async () => {
    const { store } = await freshStore();
    const sessions = Array.from({ length: 30 }, () => newSession());
    for (const [i, s] of sessions.entries()) {
      await store.appendToStream(s.stream, [probeEvent(i), probeEvent(i + 100)], { expectedVersion: 0, metadata: metadataFor(s.id) });
    }
    const reads = await Promise.all([...sessions, sessions[0]!, newSession()].map((s) => store.readStream(s.stream)));
    sessions.forEach((s, i) => {
      expect(reads[i]!.version).toBe(2);
      expect(reads[i]!.events.map((e) => e.metadata.stream)).toEqual([s.stream, s.stream]);
      expect(reads[i]!.events.map((e) => e.data)).toEqual([probeEvent(i).data, probeEvent(i + 100).data]);
    });
    expect(reads[30]!.version).toBe(2); // the same stream twice in one batch
    expect(reads[31]).toEqual({ version: 0, events: [] });
  });

  it('refuses an append on a remembered head that another writer moved on, then appends on the fresh head', async () => {
    const { url, pool, store } = await freshStore();
    const other = new PostgresEventStore({ pool, listenUrl: url });
    cleanups.push(() => other.close());
    const s = newSession();
    await store.appendToStream(s.stream, [probeEvent(1)], { expectedVersion: 0, metadata: metadataFor(s.id) });
    expect((await store.readStream(s.stream)).version).toBe(1); // head remembered: version 1
    await other.appendToStream(s.stream, [probeEvent(2)], { expectedVersion: 1, metadata: metadataFor(s.id) });
    await expect(store.appendToStream(s.stream, [probeEvent(3)], { expectedVersion: 1, metadata: metadataFor(s.id) }))
      .rejects.toBeInstanceOf(WrongExpectedVersionError);
    await store.appendToStream(s.stream, [probeEvent(3)], { expectedVersion: 2, metadata: metadataFor(s.id) });
    const raw = await store.readStreamRaw(s.stream);
    expect(raw.map((e) => e.metadata.version)).toEqual([1, 2, 3]);
    expect(verifyChain(raw).ok).toBe(true); // the chain holds across both writers
  });
});

describe('PostgresEventStore', () => {
  it('wakes subscribers of another store (another process) through NOTIFY sent after the commit', async () => {
    const { url, pool, store: writer } = await freshStore();
    const reader = new PostgresEventStore({ pool, listenUrl: url, pollIntervalMs: 10_000 }); // polling cannot explain success
    cleanups.push(() => reader.close());
    const seen: string[] = [];
    const subscription = reader.subscribeToAll({ after: null }, async (events) => { seen.push(...events.map((e) => e.metadata.stream)); });
    await sleep(300); // subscribed, caught up, asleep
    const s = newSession();
    const started = Date.now();
    await writer.appendToStream(s.stream, [probeEvent(1)], { expectedVersion: 0, metadata: metadataFor(s.id) });
    await waitFor('the other store\'s event', () => seen.includes(s.stream), 3000);
    expect(Date.now() - started).toBeLessThan(3000);
    await subscription.stop();
  });

  it('does not notify inside the inserting transaction (which would serialise every commit on the notify lock)', async () => {
    const { pool } = await freshStore();
    const { rows } = await pool.query(`SELECT tgname FROM pg_trigger WHERE tgrelid = 'events'::regclass AND NOT tgisinternal ORDER BY tgname`);
    expect(rows.map((r) => r.tgname)).toEqual(['events_no_truncate', 'events_no_update_delete']);
  });

  it('refuses UPDATE, DELETE and TRUNCATE of events in the database itself', async () => {
    const { pool, store } = await freshStore();
    await appendOne(store);
    for (const sql of ["UPDATE events SET type = 'X'", 'DELETE FROM events', 'TRUNCATE events', 'DELETE FROM events WHERE false']) {
      await expect(pool.query(sql)).rejects.toThrow(/append-only/);
    }
    expect((await pool.query('SELECT count(*)::int AS n FROM events')).rows[0]).toEqual({ n: 1 });
  });

  it('lets verifyChain find an event changed behind the triggers by a superuser', async () => {
    const { url, store } = await freshStore();
    const { id, stream } = newSession();
    await store.appendToStream(stream, [authEvent(id, 'a'), authEvent(id, 'b'), authEvent(id, 'c')], { expectedVersion: 0, metadata: metadataFor(id) });
    expect(verifyChain(await store.readStreamRaw(stream))).toEqual({ ok: true, checked: 3 });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query('BEGIN');
      await admin.query('SET LOCAL session_replication_role = replica'); // disables the refusing triggers
      await admin.query(`UPDATE events SET data = jsonb_set(data, '{user}', '"mallory"') WHERE stream = $1 AND version = 2`, [stream]);
      await admin.query('COMMIT');
    } finally {
      await admin.end();
    }
    expect(verifyChain(await store.readStreamRaw(stream))).toMatchObject({ ok: false, checked: 1, brokenAt: { version: 2 } });
  });

  it('gives stream reads the positions readAll gives, and an append the position of its last event', async () => {
    const { store } = await freshStore();
    const { id, stream } = newSession();
    const result = await store.appendToStream(stream, [authEvent(id), probeEvent(2)], { expectedVersion: 0, metadata: metadataFor(id) });
    const { events } = await store.readStream(stream);
    expect(await store.readAll({ after: null, limit: 10 })).toEqual(events);
    expect(events.at(-1)?.metadata.position).toBe(result.position);
  });

  it('group-commits concurrent appends into a few INSERT statements', async () => {
    const flushes: { events: number; batch: number }[] = [];
    const { store } = await freshStore({ onAppend: ({ events, batch }) => flushes.push({ events, batch }) });
    const results = await Promise.all(Array.from({ length: 200 }, () => appendOne(store)));
    expect(new Set(results.map((r) => r.position)).size).toBe(200);
    expect(flushes.reduce((n, f) => n + f.batch, 0)).toBe(200);
    expect(flushes.reduce((n, f) => n + f.events, 0)).toBe(200);
    expect(flushes.length).toBeLessThanOrEqual(10);
  });

  it('isolates a conflicting append in a batch so only that caller fails', async () => {
    const flushes: number[] = [];
    const { store } = await freshStore({ onAppend: ({ batch }) => flushes.push(batch) });
    const taken = newSession();
    await appendOne(store, 0, taken.stream);
    flushes.length = 0;
    const results = await Promise.allSettled([appendOne(store), appendOne(store, 0, taken.stream), appendOne(store), appendOne(store)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(flushes).toEqual([1, 1, 1]); // the batch of 4 failed as a whole, then went one by one
  });

  it('reconnects its LISTEN connection and keeps waking subscriptions', async () => {
    const { pool, store } = await freshStore({ pollIntervalMs: 60_000 }); // only notifications can wake it
    const s = newSession();
    const { received, subscription } = collect(store, { after: null });
    const listener = async () => (await pool.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE application_name = 'elemta-event-listener' AND datname = current_database() AND query ILIKE 'LISTEN%'",
    )).rows[0]?.pid;
    try {
      let first: number | undefined;
      for (let i = 0; i < 200 && first === undefined; i++) { first = await listener(); if (first === undefined) await sleep(20); }
      expect(first).toBeDefined();
      await store.appendToStream(s.stream, [probeEvent(1)], { expectedVersion: 0, metadata: metadataFor(s.id) });
      await waitFor('event before the reconnect', () => received.length === 1, 3000);
      await pool.query('SELECT pg_terminate_backend($1)', [first]);
      let second: number | undefined;
      for (let i = 0; i < 300 && (second === undefined || second === first); i++) { second = await listener(); await sleep(20); }
      expect(second).not.toBe(first);
      await store.appendToStream(s.stream, [probeEvent(2)], { expectedVersion: 1, metadata: metadataFor(s.id) });
      await waitFor('event after the reconnect', () => received.length === 2, 3000);
    } finally {
      await subscription.stop();
    }
  });

  it('delivers every event exactly once to a subscriber while transactions commit out of position order', async () => {
    const { url, pool, store } = await freshStore();
    const seen: string[] = [];
    const subscription = store.subscribeToAll({ after: null, batchSize: 50 }, async (events) => {
      seen.push(...events.map((e) => e.metadata.eventId));
      if (seen.length % 7 === 0) await sleep(1); // a handler that takes its time now and then
    });
    const order: { xid: bigint; position: bigint }[] = [];
    const tracker = store.subscribeToAll({ after: null, batchSize: 500 }, async (events) => {
      for (const e of events) {
        const { xid, position } = decodePgPosition(e.metadata.position);
        order.push({ xid: BigInt(xid), position: BigInt(position) });
      }
    });
    await Promise.all(Array.from({ length: 8 }, (_, w) => (w < 6 ? storeWorker(store, 250) : slowTransactionWorker(url, 250))));
    const stored = (await pool.query<{ id: string }>('SELECT event_id::text AS id FROM events')).rows.map((r) => r.id);
    expect(stored).toHaveLength(2000);
    await waitFor('the subscriber to catch up', () => seen.length >= stored.length && order.length >= stored.length, 20_000);
    await sleep(600); // nothing more, and nothing twice, arrives later
    await Promise.all([subscription.stop(), tracker.stop()]);
    expect(seen).toHaveLength(stored.length);
    expect(new Set(seen).size).toBe(seen.length);
    expect(new Set(seen)).toEqual(new Set(stored));
    // The point of the test: commits did land out of position order, which `position > checkpoint` would have skipped.
    expect(order.some((p, i) => i > 0 && p.position < (order[i - 1] as { position: bigint }).position)).toBe(true);
  });
});

/** Appends through the store: mostly new streams (expectedVersion 0), every fourth to its own stream (N > 0). */
const storeWorker = async (store: PostgresEventStore, appends: number) => {
  const own = newSession();
  let version = 0;
  for (let i = 0; i < appends; i++) {
    if (i % 4 !== 0) {
      await appendOne(store);
      continue;
    }
    await store.appendToStream(own.stream, [probeEvent(i)], { expectedVersion: version, metadata: metadataFor(own.id) });
    version += 1;
  }
};

/** Inserts with the adapter's own statement, in explicit transactions that sleep before COMMIT. */
const slowTransactionWorker = async (url: string, appends: number) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (let i = 0; i < appends; i++) {
      const { id, stream } = newSession();
      const metadata = metadataFor(id);
      const prepared = prepareAppend([probeEvent(i)], { version: 0, hash: GENESIS_HASH }, metadata);
      await client.query('BEGIN');
      if (i % 2 === 0) {
        // a low position that commits late
        await client.query(INSERT_SQL, insertParams(toInsertRows(stream, prepared, metadata)));
        await client.query('SELECT pg_sleep($1)', [(i % 5) * 0.003]);
      } else {
        // a low transaction id that takes its position late: (xid, position) order then surely goes back in position
        await client.query('SELECT pg_current_xact_id()');
        await client.query('SELECT pg_sleep($1)', [(i % 5) * 0.003]);
        await client.query(INSERT_SQL, insertParams(toInsertRows(stream, prepared, metadata)));
      }
      await client.query('COMMIT');
    }
  } finally {
    await client.end();
  }
};
