import type { RecordedEvent } from '@elemta/domain';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { messagesProjection } from './messages/messages.projection.js';
import type { Projection } from './projection.js';
import { ProjectionRunner } from './projection-runner.js';
import { createMessageReadModel } from './read/message-read-model.js';
import { accepted, newId, queued } from './testing/message-fixtures.js';
import { checkpoints, eventually, openTrackingDb, snapshot, type TrackingDb } from './testing/tracking-db.js';

let db: TrackingDb;
beforeAll(async () => { db = await openTrackingDb(inject('postgresUrl')); });
afterAll(async () => { await db?.close(); });

/** The real messages projection, failing after its writes whenever a batch holds the poison message. */
const flaky = (poison: { id: string | null }): Projection => ({
  ...messagesProjection,
  apply: async (tx, events: readonly RecordedEvent[]) => {
    await messagesProjection.apply(tx, events);
    if (events.some((e) => (e.data as { messageId?: string }).messageId === poison.id)) throw new Error('projection bug');
  },
});
const acceptAndQueue = (id: string) => db.append(id, [accepted(id), queued(id, ['bob@example.net'])]);

describe('a batch that fails', () => {
  it('leaves view and checkpoint as they were, and a retry applies it', async () => {
    const poison = { id: null as string | null };
    const runner = new ProjectionRunner({ pool: db.pool, store: db.store, projections: [flaky(poison)] });
    const healthy = newId();
    await acceptAndQueue(healthy);
    await runner.catchUp();
    const before = { messages: await snapshot(db.pool, 'messages'), checkpoints: await checkpoints(db.pool) };

    const [ok, bad] = [newId(), newId()];
    await acceptAndQueue(ok);
    await acceptAndQueue(bad);
    poison.id = bad;
    await expect(runner.catchUp()).rejects.toThrow('projection bug');
    expect(await snapshot(db.pool, 'messages')).toEqual(before.messages);
    expect(await checkpoints(db.pool)).toEqual(before.checkpoints);

    poison.id = null;
    await runner.catchUp();
    const reads = createMessageReadModel(db.pool);
    expect((await reads.listMessages({}, { first: 10 })).edges.map((e) => e.node.id).sort()).toEqual([healthy, ok, bad].sort());
    expect(await checkpoints(db.pool)).not.toEqual(before.checkpoints);
  });

  it('is logged and retried by the background loop until it succeeds', async () => {
    const bad = newId();
    const poison = { id: bad as string | null };
    const errors: unknown[] = [];
    const log = { debug: () => {}, info: () => {}, warn: () => {}, error: (obj: object) => errors.push(obj) };
    const runner = new ProjectionRunner({ pool: db.pool, store: db.store, projections: [flaky(poison)], log, lockRetryMs: 10 });
    await acceptAndQueue(bad);
    runner.start();
    try {
      await eventually(async () => expect(errors.length).toBeGreaterThanOrEqual(2));
      expect(await createMessageReadModel(db.pool).getMessage(bad)).toBeNull();
      poison.id = null;
      await eventually(async () => expect(await createMessageReadModel(db.pool).getMessage(bad)).not.toBeNull());
    } finally {
      await runner.stop();
    }
    expect(errors[0]).toMatchObject({ projection: 'messages', failures: 1 });
  });
});
