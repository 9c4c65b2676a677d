import type { EventStore } from '@elemta/domain';
import type pg from 'pg';
import { resetCheckpoints } from './checkpoints.js';
import { ProjectionRunner, type BatchInfo } from './projection-runner.js';
import type { Projection, ProjectionLog } from './projection.js';

export type ReplayOptions = Readonly<{ batchSize?: number; log?: ProjectionLog; onBatch?: (info: BatchInfo) => void }>;
export type ReplayResult = Readonly<{ projections: readonly string[]; events: Readonly<Record<string, number>> }>;

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * Rebuilds views from event zero: in one transaction it waits for any active batch of these projections
 * (checkpoint rows locked), empties their tables and resets their checkpoints; then it catches up with a runner
 * of its own. A runner elsewhere may keep running: every batch re-reads its checkpoint under the lock, so the
 * rebuild stays exactly-once whoever applies each batch. Resolves with the events applied per projection here.
 * If catching up fails, it rejects; the views are then partly rebuilt and any runner continues from their checkpoints.
 */
export const replayProjections = async (
  pool: pg.Pool,
  store: EventStore,
  projections: readonly Projection[],
  options: ReplayOptions = {},
): Promise<ReplayResult> => {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await resetCheckpoints(client, projections);
    const tables = projections.flatMap((p) => p.tables);
    if (tables.length > 0) await client.query(`TRUNCATE ${tables.map(quoteIdent).join(', ')}`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
  const events: Record<string, number> = Object.fromEntries(projections.map((p) => [p.name, 0]));
  const runner = new ProjectionRunner({
    pool, store, projections,
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.log ? { log: options.log } : {}),
    onBatch: (info) => {
      events[info.projection] = (events[info.projection] ?? 0) + info.events;
      options.onBatch?.(info);
    },
  });
  await runner.catchUp();
  return { projections: projections.map((p) => p.name), events };
};
