import { recipientDeferred, recipientDelivered } from '@elemta/domain';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProjectionRunner, type BatchInfo } from './projection-runner.js';
import { createMessageReadModel } from './read/message-read-model.js';
import { accepted, newId, queued, reply } from './testing/message-fixtures.js';
import { checkpoints, eventually, openTrackingDb, snapshot, type TrackingDb } from './testing/tracking-db.js';
import { trackingProjections } from './tracking.js';

let db: TrackingDb;
beforeAll(async () => { db = await openTrackingDb(inject('postgresUrl')); });
afterAll(async () => { await db?.close(); });

const at = '2026-01-01T10:05:00.000Z';
const acceptAndQueue = (id: string, rcptTo = ['bob@example.net', 'carol@other.test']) =>
  db.append(id, [accepted(id, { rcptTo }), queued(id, rcptTo, 'bulk')]);

describe('projection runner', () => {
  const ids = [newId(), newId(), newId()];

  it('projects appended events into messages and message_events once caught up', async () => {
    for (const id of ids) await acceptAndQueue(id);
    const [first] = ids as [string];
    await db.append(first, [
      recipientDelivered({ messageId: first, recipient: 'bob@example.net', attemptId: 'a1', reply: reply(250, '2.0.0'), at }),
      recipientDeferred({ messageId: first, recipient: 'carol@other.test', attemptId: 'a1', reply: reply(451, '4.7.1'), attempt: 1, nextAttemptAt: at, at }),
    ]);
    await new ProjectionRunner({ pool: db.pool, store: db.store, projections: trackingProjections }).catchUp();

    const reads = createMessageReadModel(db.pool);
    const message = await reads.getMessage(first);
    expect(message).toMatchObject({
      id: first, status: 'deferred', mailFrom: 'alice@sender.test', subject: 'Hello', listener: 'inbound',
      recipients: [
        { address: 'bob@example.net', domain: 'example.net', status: 'delivered', route: 'relay', zone: 'bulk' },
        { address: 'carol@other.test', domain: 'other.test', status: 'deferred', route: 'relay', zone: 'bulk' },
      ],
    });
    const timeline = await reads.getMessageEvents(first);
    expect(timeline.map((e) => [e.version, e.type])).toEqual([
      [1, 'MessageAccepted'], [2, 'MessageQueued'], [3, 'RecipientDelivered'], [4, 'RecipientDeferred'],
    ]);
    expect(timeline[0]?.metadata).toMatchObject({ actor: 'smtp:127.0.0.1', correlationId: first, causationId: null, node: 'test' });
    expect(timeline[0]?.position).toMatch(/\S/);
    expect((await reads.listMessages({}, { first: 10 })).totalCount).toBe(3);
  });

  it('continues after a restart without applying any event twice', async () => {
    const before = { messages: await snapshot(db.pool, 'messages'), events: await snapshot(db.pool, 'message_events'), checkpoints: await checkpoints(db.pool) };
    const batches: BatchInfo[] = [];
    await new ProjectionRunner({ pool: db.pool, store: db.store, projections: trackingProjections, onBatch: (b) => batches.push(b) }).catchUp();
    expect(batches).toEqual([]);
    expect(await snapshot(db.pool, 'messages')).toEqual(before.messages);
    expect(await snapshot(db.pool, 'message_events')).toEqual(before.events);
    expect(await checkpoints(db.pool)).toEqual(before.checkpoints);
  });

  it('reports lag while behind and none once caught up', async () => {
    for (let i = 0; i < 3; i++) await acceptAndQueue(newId());
    const batches: BatchInfo[] = [];
    const runner = new ProjectionRunner({
      pool: db.pool, store: db.store, projections: trackingProjections, batchSize: 2,
      now: () => Date.now() + 60_000, onBatch: (b) => batches.push(b),
    });
    await runner.catchUp();
    const messages = batches.filter((b) => b.projection === 'tracking');
    expect(messages.map((b) => b.events)).toEqual([2, 2, 2]);
    expect(messages[0]?.lagSeconds).toBeGreaterThanOrEqual(59);
    expect(messages.at(-1)?.lagSeconds).toBeGreaterThanOrEqual(59); // a full batch: there may be more
    expect(runner.lagSeconds()).toBe(0); // the last read came back empty
  });

  it('keeps the view current in the background, woken by new events, and stops cleanly', async () => {
    // Polling is slowed down to 5 s: only the subscription's wake-up can make this pass in time.
    const runner = new ProjectionRunner({ pool: db.pool, store: db.store, projections: trackingProjections, pollIntervalMs: 5000 });
    runner.start();
    const id = newId();
    try {
      await acceptAndQueue(id);
      const reads = createMessageReadModel(db.pool);
      await eventually(async () => {
        expect((await reads.getMessageEvents(id)).length).toBe(2);
        expect((await reads.getMessage(id))?.recipients[0]?.zone).toBe('bulk');
      }, 3000);
      const later = newId(); // appended while the runner is idle and subscribed
      await acceptAndQueue(later);
      await eventually(async () => expect((await reads.getMessage(later))?.recipients[0]?.zone).toBe('bulk'), 3000);
    } finally {
      await runner.stop();
    }
  });

  it('is woken by the store\'s commit notifications alone when given them (no reading subscription)', async () => {
    const runner = new ProjectionRunner({
      pool: db.pool, store: db.store, projections: trackingProjections, pollIntervalMs: 5000,
      wakeUps: (wake) => db.store.onCommitted(wake),
    });
    runner.start();
    const reads = createMessageReadModel(db.pool);
    try {
      await runner.catchUp();
      const id = newId(); // appended while the runner sleeps: only a notification can wake it in time
      await acceptAndQueue(id);
      await eventually(async () => expect((await reads.getMessageEvents(id)).length).toBe(2), 3000);
    } finally {
      await runner.stop();
    }
  });

  it('lets only one runner work on a projection: another waits while the checkpoint is locked', async () => {
    const id = newId();
    await acceptAndQueue(id);
    const holder = await db.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM projection_checkpoints WHERE name = 'tracking' FOR UPDATE`);
      let done = false;
      const catching = new ProjectionRunner({ pool: db.pool, store: db.store, projections: trackingProjections, lockRetryMs: 20 })
        .catchUp().then(() => { done = true; });
      await new Promise((r) => setTimeout(r, 300));
      expect(done).toBe(false);
      expect(await createMessageReadModel(db.pool).getMessage(id)).toBeNull();
      await holder.query('COMMIT');
      await catching;
    } finally {
      holder.release();
    }
    expect((await createMessageReadModel(db.pool).getMessage(id))?.status).toBe('queued');
  });
});
