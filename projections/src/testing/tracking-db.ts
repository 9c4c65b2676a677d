import {
  asMessageId, messageStream, type AnyDomainEvent, type AppendResult, type EventStore,
} from '@elemta/domain';
import { eventStoreMigrations, PostgresEventStore } from '@elemta/infra/event-store-pg';
import { createPool, runMigrations } from '@elemta/infra/postgres';
import { createTestDatabase } from '@elemta/infra/testing';
import type pg from 'pg';
import { trackingMigrations } from '../tracking.js';
import { metadataFor } from './message-fixtures.js';

export type TrackingDb = Readonly<{
  url: string;
  pool: pg.Pool;
  store: PostgresEventStore;
  append(messageId: string, events: readonly AnyDomainEvent[]): Promise<AppendResult>;
  close(): Promise<void>;
}>;

/** A fresh database with the real PostgreSQL event store and the tracking views migrated. */
export const openTrackingDb = async (serverUrl: string): Promise<TrackingDb> => {
  const url = await createTestDatabase(serverUrl, 'proj');
  const pool = createPool(url, { max: 10 });
  await runMigrations(pool, [...eventStoreMigrations, ...trackingMigrations]);
  const store = new PostgresEventStore({ pool, listenUrl: url, pollIntervalMs: 100 });
  return {
    url, pool, store,
    append: (messageId, events) => store.appendToStream(messageStream(asMessageId(messageId)), events,
      { expectedVersion: 'any', metadata: metadataFor(messageId) }),
    close: async () => {
      await store.close();
      await pool.end();
    },
  };
};

/** Every row of a table in a stable order, all columns. */
export const snapshot = async (pool: pg.Pool, table: 'messages' | 'message_events'): Promise<unknown[]> => {
  const order = table === 'messages' ? 'id' : 'message_id, version';
  return (await pool.query(`SELECT * FROM ${table} ORDER BY ${order}`)).rows;
};

/** Position and count of events applied per projection: a double application shows in the count. */
export const checkpoints = async (pool: pg.Pool): Promise<Record<string, { position: string | null; processed: number }>> => {
  const { rows } = await pool.query<{ name: string; position: string | null; processed: number }>(
    'SELECT name, position, events_processed::float8 AS processed FROM projection_checkpoints');
  return Object.fromEntries(rows.map((r) => [r.name, { position: r.position, processed: r.processed }]));
};

/** Polls until `check` stops throwing (for the background runner), or rethrows its last error. */
export const eventually = async (check: () => Promise<void>, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
};
