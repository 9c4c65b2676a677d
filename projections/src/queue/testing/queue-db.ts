import { runMigrations } from '@elemta/infra/postgres';
import { ProjectionRunner } from '../../projection-runner.js';
import { openTrackingDb, type TrackingDb } from '../../testing/tracking-db.js';
import { queueMigrations } from '../index.js';
import { queueProjection } from '../queue.projection.js';

export type QueueDb = TrackingDb & Readonly<{ runner: ProjectionRunner }>;

/** A fresh database with the real event store, checkpoints, the queue view and leases; `runner` runs only `queue`. */
export const openQueueDb = async (serverUrl: string): Promise<QueueDb> => {
  const db = await openTrackingDb(serverUrl);
  await runMigrations(db.pool, queueMigrations);
  return { ...db, runner: new ProjectionRunner({ pool: db.pool, store: db.store, projections: [queueProjection] }) };
};
