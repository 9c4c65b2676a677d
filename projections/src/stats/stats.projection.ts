import type { RecordedEvent } from '@elemta/domain';
import type pg from 'pg';
import type { Projection } from '../projection.js';
import { foldStatsBatch, statsBatchKeys, statsHandles } from './stats.fold.js';
import { loadStatsState, saveStatsChanges, statsMigrations, statsTables } from './stats.sql.js';

const applyStats = async (tx: pg.PoolClient, events: readonly RecordedEvent[]): Promise<void> => {
  const loaded = await loadStatsState(tx, statsBatchKeys(events));
  await saveStatsChanges(tx, loaded, foldStatsBatch(loaded, events));
};

/**
 * `stats`: counters per minute, hour and day, per listener and per sending zone, for the dashboard's charts.
 * It reads each message's listener and recipient zones from the `messages` view, so it must run in the same
 * transaction as `messagesProjection` and after it (as in `viewsProjection`), never under a checkpoint of its own.
 */
export const statsProjection: Projection = {
  name: 'stats',
  version: 1,
  handles: statsHandles,
  tables: statsTables,
  migrations: statsMigrations,
  apply: applyStats,
};
