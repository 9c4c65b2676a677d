import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminStream, apiKeyCreated, DomainError, type GlobalPosition } from '@elemta/domain';
import { PostgresEventStore, eventStoreMigrations } from '@elemta/infra/event-store-pg';
import { createPool, runMigrations, type Pool } from '@elemta/infra/postgres';
import { createTestDatabase } from '@elemta/infra/testing';
import type { MessageReadModel } from '@elemta/projections';
import type { EventRecord } from '@elemta/schema';
import { createEventFeed, type FeedScope } from './event-feed.js';

let pool: Pool;
let store: PostgresEventStore;

beforeAll(async () => {
  const url = await createTestDatabase(inject('postgresUrl'));
  pool = createPool(url, { max: 5, applicationName: 'event-feed-test' });
  await runMigrations(pool, eventStoreMigrations);
  store = new PostgresEventStore({ pool, listenUrl: url });
});

afterAll(async () => {
  await store?.close();
  await pool?.end();
});

let keys = 0;
const append = async (stream = 'keys'): Promise<GlobalPosition> => {
  const keyId = `k${++keys}`;
  const { position } = await store.appendToStream(adminStream(stream), [apiKeyCreated({ keyId, name: keyId, role: 'auditor', at: new Date().toISOString() })], {
    expectedVersion: 'any', metadata: { correlationId: keyId, causationId: null, actor: 'system:test@n1', node: 'n1' },
  });
  return position;
};

const noMessages = {} as MessageReadModel; // these tests never read a message
const scope = (overrides: Partial<FeedScope> = {}): FeedScope => ({
  signal: new AbortController().signal, stillAuthenticated: async () => true, ...overrides,
});
const feedOf = (startPosition: GlobalPosition | null, recheckMs?: number) => createEventFeed({
  store, messages: noMessages, startPosition: async () => startPosition, viewsCaughtUp: async () => {},
  log: { info: () => {}, warn: () => {} }, ...(recheckMs ? { recheckMs } : {}),
});

const within = <T>(p: Promise<T>, ms = 2_000): Promise<T> =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms))]);

describe('the event feed over the PostgreSQL event store', () => {
  it('delivers the events after `after` from the log, then live ones, with no gap and no repeat', async () => {
    const start = await append();
    const missed = [await append(), await append()];
    const events = await feedOf(null)(scope()).events({ after: start, filter: { streamPrefix: 'admin-keys' } });
    const iterator = events[Symbol.asyncIterator]();
    const first = [(await iterator.next()).value as EventRecord, (await iterator.next()).value as EventRecord];
    expect(first.map((e) => e.position)).toEqual(missed);
    const live = await append();
    await append('other'); // filtered out
    const next = (await within(iterator.next())).value as EventRecord;
    expect(next).toMatchObject({ position: live, stream: 'admin-keys', type: 'ApiKeyCreated', metadata: { actor: 'system:test@n1' } });
    await iterator.return!();
  });

  it('starts at the start position when no `after` is given', async () => {
    const start = await append();
    const after = await append();
    const iterator = (await feedOf(start)(scope()).events({ after: null, filter: {} }))[Symbol.asyncIterator]();
    expect(((await within(iterator.next())).value as EventRecord).position).toBe(after);
    await iterator.return!();
  });

  it('ends a waiting stream at once when the client goes away', async () => {
    const client = new AbortController();
    const iterator = (await feedOf(await append())(scope({ signal: client.signal })).events({ after: null, filter: {} }))[Symbol.asyncIterator]();
    const waiting = iterator.next();
    client.abort();
    expect(await within(waiting, 500)).toEqual({ value: undefined, done: true });
  });

  it('ends a stream whose API key no longer verifies', async () => {
    let valid = true;
    const feed = feedOf(await append(), 50)(scope({ stillAuthenticated: async () => valid }));
    const iterator = (await feed.events({ after: null, filter: {} }))[Symbol.asyncIterator]();
    const waiting = iterator.next();
    await new Promise((r) => setTimeout(r, 150));
    expect(await Promise.race([waiting, 'still open'])).toBe('still open');
    valid = false;
    expect(await within(waiting, 1_000)).toEqual({ value: undefined, done: true });
  });

  it('refuses a position the store did not produce', async () => {
    const refused = feedOf(null)(scope()).events({ after: '12-not-a-position', filter: {} });
    await expect(refused).rejects.toBeInstanceOf(DomainError);
    await expect(refused).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
  });

  it('tells who submitted a message, from its first event', async () => {
    expect(await feedOf(null)(scope()).submittedBy('0190f3c2-0000-7000-8000-0000000000ff')).toBeNull();
  });
});
