import { asSessionId, sessionStream, type AnyDomainEvent } from '@elemta/domain';
import { runMigrations } from '@elemta/infra/postgres';
import { ProjectionRunner } from '../../projection-runner.js';
import { metadataFor } from '../../testing/message-fixtures.js';
import { openTrackingDb, type TrackingDb } from '../../testing/tracking-db.js';
import { viewMigrations, viewProjections } from '../../views.js';

export type ViewsDb = TrackingDb & Readonly<{
  runner: ProjectionRunner;
  appendSession(sessionId: string, events: readonly AnyDomainEvent[]): Promise<unknown>;
}>;

/** A fresh database with the real event store and every view (`views`, as a node runs it); `runner` runs it in batches of `batchSize`. */
export const openViewsDb = async (serverUrl: string, batchSize = 500): Promise<ViewsDb> => {
  const db = await openTrackingDb(serverUrl);
  await runMigrations(db.pool, viewMigrations);
  return {
    ...db,
    runner: new ProjectionRunner({ pool: db.pool, store: db.store, projections: viewProjections, batchSize }),
    appendSession: (sessionId, events) => db.store.appendToStream(sessionStream(asSessionId(sessionId)), events,
      { expectedVersion: 'any', metadata: metadataFor(sessionId) }),
  };
};
