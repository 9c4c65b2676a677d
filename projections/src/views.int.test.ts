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
  it('fills submitted_by of rows folded before v2 from their timeline, exactly as the fold does', async () => {
    for (const actor of ['api-key:k1', 'smtp:192.0.2.1', 'api-key:k2']) {
      const id = newId();
      await store.appendToStream(messageStream(asMessageId(id)), [accepted(id), queued(id, ['bob@example.net'])],
        { expectedVersion: 0, metadata: { ...metadataFor(id), actor } });
    }
    await new ProjectionRunner({ pool, store, projections: viewProjections }).catchUp();
    const folded = await snapshot(pool, 'messages');
    expect((folded as Array<{ submitted_by: string }>).map((r) => r.submitted_by).sort())
      .toEqual(['api-key:k1', 'api-key:k2', 'smtp:192.0.2.1']);

    // As a v1 node left them: no submitter. The migration runs again as on the first start of v2.
    await pool.query('UPDATE messages SET submitted_by = NULL');
    await pool.query("DELETE FROM schema_migrations WHERE id = 'projections/views-0002-messages-submitted-by'");
    expect(await runMigrations(pool, viewMigrations)).toEqual(['projections/views-0002-messages-submitted-by']);
    expect(await snapshot(pool, 'messages')).toEqual(folded);
  });
});
