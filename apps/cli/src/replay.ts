import { join } from 'node:path';
import type { EventStore } from '@elemta/domain';
import type { ElemtaConfig } from '@elemta/infra/config';
import { EsdbEventStore } from '@elemta/infra/event-store-esdb';
import { PostgresEventStore, eventStoreMigrations } from '@elemta/infra/event-store-pg';
import type { Logger } from '@elemta/infra/logger';
import { createPool, runMigrations, startEmbeddedPostgres } from '@elemta/infra/postgres';
import { replayProjections, viewMigrations, viewProjections } from '@elemta/projections';

/** Drops the views (tracking and queue) and rebuilds them from event zero. Run it while `elemta serve` is stopped. */
export const replayCommand = async (config: ElemtaConfig, log: Logger): Promise<number> => {
  const embedded = config.postgres.kind === 'embedded'
    ? await startEmbeddedPostgres({ dataDir: join(config.dataDir, 'pg'), port: config.postgres.port, database: 'elemta', log })
    : null;
  const url = embedded?.url ?? (config.postgres.kind === 'external' ? config.postgres.url : '');
  const pool = createPool(url);
  let store: EventStore | null = null;
  try {
    store = config.eventStore.kind === 'esdb'
      ? new EsdbEventStore({ connectionString: config.eventStore.url })
      : new PostgresEventStore({ pool, listenUrl: url, log });
    await runMigrations(pool, [...(config.eventStore.kind === 'postgres' ? eventStoreMigrations : []), ...viewMigrations]);
    const started = Date.now();
    await replayProjections(pool, store, viewProjections);
    console.log(`replayed ${viewProjections.map((p) => p.name).join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  } finally {
    await store?.close();
    await pool.end();
    await embedded?.stop();
  }
};
