import { asMessageId, messageStream } from '@elemta/domain';
import { eventStoreMigrations, PostgresEventStore } from '@elemta/infra/event-store-pg';
import { createPool, runMigrations } from '@elemta/infra/postgres';
import { createTestDatabase } from '@elemta/infra/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProjectionRunner } from './projection-runner.js';
import { accepted, metadataFor, newId, queued } from './testing/message-fixtures.js';
import { snapshot } from './testing/tracking-db.js';
import { viewMigrations, viewProjections } from './views.js';

let pool: pg.Pool;
let store: PostgresEventStore;

beforeAll(async () => {
  const url = await createTestDatabase(inject('postgresUrl'), 'views');
  pool = createPool(url, { max: 5 });
  await runMigrations(pool, [...eventStoreMigrations, ...viewMigrations]);
  store = new PostgresEventStore({ pool, listenUrl: url, pollIntervalMs: 100 });
});
afterAll(async () => {
  await store?.close();
  await pool?.end();
});

describe('views migrations', () => {
  it('records who submitted each message, and the v3 upgrade rebuilds the views from event zero to the same rows', async () => {
    for (const actor of ['api-key:k1', 'smtp:192.0.2.1', 'api-key:k2']) {
      const id = newId();
      await store.appendToStream(messageStream(asMessageId(id)), [accepted(id), queued(id, ['bob@example.net'])],
        { expectedVersion: 0, metadata: { ...metadataFor(id), actor } });
    }
    const runner = () => new ProjectionRunner({ pool, store, projections: viewProjections }).catchUp();
    await runner();
    const folded = await snapshot(pool, 'messages');
    expect((folded as Array<{ submitted_by: string }>).map((r) => r.submitted_by).sort())
      .toEqual(['api-key:k1', 'api-key:k2', 'smtp:192.0.2.1']);

    // As on the first start of v3 over older views: emptied, checkpoint gone, then rebuilt by the runner.
    await pool.query("DELETE FROM schema_migrations WHERE id = 'projections/views-0003-stats-rebuild'");
    expect(await runMigrations(pool, viewMigrations)).toEqual(['projections/views-0003-stats-rebuild']);
    expect(await snapshot(pool, 'messages')).toEqual([]);
    await runner();
    expect(await snapshot(pool, 'messages')).toEqual(folded);
  });
});
