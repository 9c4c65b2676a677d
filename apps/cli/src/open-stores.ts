import { join } from 'node:path';
import type { EventStore } from '@elemta/domain';
import type { ElemtaConfig } from '@elemta/infra/config';
import type { RawStreamReader } from '@elemta/infra/event-store';
import { EsdbEventStore } from '@elemta/infra/event-store-esdb';
import { PostgresEventStore, eventStoreMigrations } from '@elemta/infra/event-store-pg';
import { createLogger, type Logger } from '@elemta/infra/logger';
import {
  attachRunningEmbeddedPostgres, createPool, runMigrations, startEmbeddedPostgres, type Migration,
} from '@elemta/infra/postgres';
import type pg from 'pg';

export type Stores = Readonly<{
  pool: pg.Pool;
  store: EventStore & RawStreamReader;
  /** Set when the events are in PostgreSQL (the store can then list its streams). */
  postgresStore: PostgresEventStore | null;
}>;

export type OpenOptions = Readonly<{
  /** Applied after the event store's own (PostgreSQL store only), e.g. `viewMigrations`. */
  migrations?: readonly Migration[];
  /**
   * Use the embedded PostgreSQL that `elemta serve` is running in the data directory, if any, rather than starting
   * one (starting would stop the running one as an orphan). Commands that may run beside the daemon set it.
   */
  attach?: boolean;
}>;

/** A logger for commands whose stdout is their output (NDJSON, tables): log lines go to stderr. */
export const stderrLogger = (config: ElemtaConfig): Logger =>
  createLogger({ level: config.log.level, node: config.node, pretty: process.stderr.isTTY === true, destination: process.stderr });

const databaseUrl = async (config: ElemtaConfig, log: Logger, attach: boolean): Promise<{ url: string; stop: () => Promise<void> }> => {
  if (config.postgres.kind === 'external') return { url: config.postgres.url, stop: async () => {} };
  const dataDir = join(config.dataDir, 'pg');
  const attached = attach ? await attachRunningEmbeddedPostgres({ dataDir, database: 'elemta' }) : null;
  if (attached) return { url: attached, stop: async () => {} };
  const embedded = await startEmbeddedPostgres({ dataDir, port: config.postgres.port, database: 'elemta', log });
  return { url: embedded.url, stop: () => embedded.stop() };
};

/**
 * Opens the configured database (embedded PostgreSQL in the data directory, or `DATABASE_URL`) and event store
 * (PostgreSQL, or EventStoreDB when `EVENTSTORE_URL` is set), runs the migrations, calls `work`, and closes
 * everything (stopping an embedded PostgreSQL only if it started it), whether `work` succeeds or throws.
 */
export const withStores = async <T>(
  config: ElemtaConfig, log: Logger, options: OpenOptions, work: (stores: Stores) => Promise<T>,
): Promise<T> => {
  const db = await databaseUrl(config, log, options.attach ?? false);
  const pool = createPool(db.url, { applicationName: 'elemta-cli' });
  let store: (EventStore & RawStreamReader) | null = null;
  try {
    const postgresStore = config.eventStore.kind === 'esdb' ? null : new PostgresEventStore({ pool, listenUrl: db.url, log });
    store = config.eventStore.kind === 'esdb' ? new EsdbEventStore({ connectionString: config.eventStore.url }) : postgresStore!;
    await runMigrations(pool, [...(postgresStore ? eventStoreMigrations : []), ...(options.migrations ?? [])]);
    return await work({ pool, store, postgresStore });
  } finally {
    await store?.close();
    await pool.end();
    await db.stop();
  }
};
