import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  asMessageId, handleCommand, messageDecider, messageStream, planRecipients, WrongExpectedVersionError,
  type AcceptMessage, type EventStore,
} from '@elemta/domain';
import { createPool, runMigrations } from '../postgres/index.js';
import { createTestDatabase } from '../testing/index.js';
import { eventStoreMigrations } from './migrations.js';
import { PostgresEventStore } from './postgres-event-store.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => { for (const c of cleanups.reverse()) await c(); });

const fresh = async () => {
  const url = await createTestDatabase(inject('postgresUrl'), 'cmd');
  const pool = createPool(url);
  await runMigrations(pool, eventStoreMigrations);
  const store = new PostgresEventStore({ pool, listenUrl: url });
  cleanups.push(async () => { await store.close(); await pool.end(); });
  return store;
};

const now = '2026-11-20T10:00:00.000Z';
const metadata = { correlationId: 'c', causationId: null, actor: 'test', node: 'n' };
const accept = (messageId: string): AcceptMessage => ({
  type: 'AcceptMessage',
  data: {
    messageId, sessionId: null, envelope: { mailFrom: 'a@example.org', rcptTo: ['b@example.net'], params: {} },
    sizeBytes: 10, bodySha256: 'a'.repeat(64), bodyRef: 'a'.repeat(64),
    headers: { from: null, to: null, subject: null, messageId: null, date: null }, authentication: null, client: null,
    listener: 'mx', authUser: null, tls: null, annotations: {},
    recipients: planRecipients(['b@example.net'], { defaultRoute: 'capture', domains: {}, defaultZone: 'default', defaultPriority: 'normal' }, now),
  },
  metadata: { now },
});

/** The real store, with another writer's append committed just before this handler's first append. */
const losingFirstRace = (store: EventStore, competitor: () => Promise<unknown>): EventStore => {
  let raced = false;
  return {
    readStream: (stream) => store.readStream(stream),
    appendToStream: async (...args) => {
      if (!raced) { raced = true; await competitor(); }
      return store.appendToStream(...args);
    },
    readAll: (options) => store.readAll(options),
    subscribeToAll: (options, handler) => store.subscribeToAll(options, handler),
    ping: () => store.ping(),
    close: () => store.close(),
  };
};

describe('handleCommand against the PostgreSQL event store', () => {
  it('reads, decides and appends, and a repeated command appends nothing', async () => {
    const store = await fresh();
    const id = crypto.randomUUID();
    const stream = messageStream(asMessageId(id));
    const first = await handleCommand(store, messageDecider, stream, accept(id), metadata);
    expect(first.events.map((e) => e.type)).toEqual(['MessageAccepted', 'MessageQueued']);
    const again = await handleCommand(store, messageDecider, stream, accept(id), metadata);
    expect(again).toEqual({ events: [], result: null, version: 2 });
    expect((await store.readStream(stream)).version).toBe(2);
  });

  it('retries after losing a race, deciding again on what the winner wrote', async () => {
    const store = await fresh();
    const id = crypto.randomUUID();
    const stream = messageStream(asMessageId(id));
    const racing = losingFirstRace(store, () => handleCommand(store, messageDecider, stream, accept(id), metadata));
    const result = await handleCommand(racing, messageDecider, stream, accept(id), metadata);
    expect(result.events).toEqual([]); // on retry the message was already accepted: nothing to add
    expect((await store.readStream(stream)).version).toBe(2);
  });

  it('gives up with WrongExpectedVersionError when the retries are used up', async () => {
    const store = await fresh();
    const id = crypto.randomUUID();
    const stream = messageStream(asMessageId(id));
    const racing = losingFirstRace(store, () => handleCommand(store, messageDecider, stream, accept(id), metadata));
    await expect(handleCommand(racing, messageDecider, stream, accept(id), metadata, 0)).rejects.toBeInstanceOf(WrongExpectedVersionError);
  });
});
