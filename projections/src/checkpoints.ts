import { asGlobalPosition, type GlobalPosition, type RecordedEvent } from '@elemta/domain';
import type pg from 'pg';
import type { Migration, Projection } from './projection.js';

export const checkpointMigrations: readonly Migration[] = [{
  id: 'projections/0001-checkpoints',
  sql: `CREATE TABLE projection_checkpoints (
    name text PRIMARY KEY,
    version integer NOT NULL,
    position text,
    last_recorded_at timestamptz,
    events_processed bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
}];

export type LockedCheckpoint = Readonly<{ position: GlobalPosition | null; lastRecordedAt: string | null }>;

/**
 * Locks the projection's checkpoint row for the rest of the transaction, creating it when missing.
 * Returns null when another runner holds the lock (SKIP LOCKED), so a standby never queues behind the active one.
 */
export const lockCheckpoint = async (tx: pg.PoolClient, projection: Projection): Promise<LockedCheckpoint | null> => {
  let { rows } = await selectForUpdate(tx, projection);
  if (rows.length === 0) {
    // missing, or held by another runner: create it if missing (a no-op otherwise), then try once more
    await tx.query(
      `INSERT INTO projection_checkpoints (name, version) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
      [projection.name, projection.version],
    );
    ({ rows } = await selectForUpdate(tx, projection));
  }
  const row = rows[0];
  if (!row) return null;
  return { position: row.position === null ? null : asGlobalPosition(row.position), lastRecordedAt: row.lastRecordedAt };
};

const selectForUpdate = (tx: pg.PoolClient, projection: Projection) =>
  tx.query<{ position: string | null; lastRecordedAt: string | null }>(
    `SELECT position, to_json(last_recorded_at) #>> '{}' AS "lastRecordedAt"
       FROM projection_checkpoints WHERE name = $1 FOR UPDATE SKIP LOCKED`,
    [projection.name],
  );

/** The stored position of a projection's checkpoint, without locking it; null when it has processed nothing yet. */
export const readCheckpoint = async (pool: pg.Pool, name: string): Promise<GlobalPosition | null> => {
  const { rows } = await pool.query<{ position: string | null }>('SELECT position FROM projection_checkpoints WHERE name = $1', [name]);
  const position = rows[0]?.position ?? null;
  return position === null ? null : asGlobalPosition(position);
};

export const saveCheckpoint = async (tx: pg.PoolClient, projection: Projection, last: RecordedEvent, count: number): Promise<void> => {
  await tx.query(
    `UPDATE projection_checkpoints
        SET position = $2, version = $3, last_recorded_at = $4, events_processed = events_processed + $5, updated_at = now()
      WHERE name = $1`,
    [projection.name, last.metadata.position, projection.version, last.metadata.recordedAt, count],
  );
};

/** Sets the checkpoints of these projections back to the start of the log (rows locked first, waiting for active batches). */
export const resetCheckpoints = async (tx: pg.PoolClient, projections: readonly Projection[]): Promise<void> => {
  for (const p of projections) {
    await tx.query(
      `INSERT INTO projection_checkpoints (name, version) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
      [p.name, p.version],
    );
  }
  const names = projections.map((p) => p.name);
  await tx.query('SELECT name FROM projection_checkpoints WHERE name = ANY($1::text[]) ORDER BY name FOR UPDATE', [names]);
  for (const p of projections) {
    await tx.query(
      `UPDATE projection_checkpoints
          SET position = NULL, version = $2, last_recorded_at = NULL, events_processed = 0, updated_at = now()
        WHERE name = $1`,
      [p.name, p.version],
    );
  }
};
