import { messageCancelled, messageExpired, messageHeld, messageReleased, retryRequested, type AnyDomainEvent } from '@elemta/domain';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProjectionRunner } from '../projection-runner.js';
import { replayProjections } from '../replay.js';
import { newId } from '../testing/message-fixtures.js';
import { checkpoints, eventually } from '../testing/tracking-db.js';
import { pendingDsns } from './queue-claims.js';
import { createQueueReadModel, type QueueReadModel } from './queue-read-model.js';
import { queueProjection } from './queue.projection.js';
import { openQueueDb, type QueueDb } from './testing/queue-db.js';
import {
  acceptAndQueue, acceptedFor, admin, attempted, bouncedTo, bounceFor, deferredTo, deliveredTo, FUTURE, queuedFor, retryAt,
} from './testing/queue-fixtures.js';

let db: QueueDb;
let reads: QueueReadModel;
beforeAll(async () => {
  db = await openQueueDb(inject('postgresUrl'));
  reads = createQueueReadModel(db.pool);
});
afterAll(async () => { await db?.close(); });

const rowsOf = async (messageId: string) =>
  (await reads.list({ filter: { messageId }, first: 50 })).rows.map((r) => [r.recipient, r.status, r.attempts]);
const snapshot = async () => ({
  queue: (await db.pool.query('SELECT * FROM queue ORDER BY message_id, recipient')).rows,
  dsns: (await db.pool.query('SELECT * FROM queue_dsn_pending ORDER BY dsn_message_id')).rows,
  accepted: (await db.pool.query('SELECT * FROM queue_accepted ORDER BY message_id')).rows,
});

describe('queue projection', () => {
  it('keeps one row per pending recipient and deletes settled ones', async () => {
    const id = newId();
    await db.append(id, acceptAndQueue(id, ['a@x.test', 'b@x.test', 'c@y.test'], { mailFrom: 'S@sender.test' }));
    await db.runner.catchUp();
    expect(await rowsOf(id)).toEqual([['a@x.test', 'queued', 0], ['b@x.test', 'queued', 0], ['c@y.test', 'queued', 0]]);
    await db.append(id, [deliveredTo(id, 'a@x.test'), deferredTo(id, 'b@x.test', 1), bouncedTo(id, 'c@y.test')]);
    await db.runner.catchUp();
    const [row] = (await reads.list({ filter: { messageId: id }, first: 5 })).rows;
    expect(row).toMatchObject({ recipient: 'b@x.test', status: 'deferred', attempts: 1, nextAttemptAt: FUTURE, mailFrom: 'S@sender.test', lastReply: { code: 451 } });
    await db.append(id, [messageExpired({ messageId: id, recipients: ['b@x.test'], queueAgeSeconds: 60, at: FUTURE })]);
    await db.runner.catchUp();
    expect(await rowsOf(id)).toEqual([]);
  });

  it('keeps the sender when MessageAccepted and MessageQueued land in different batches', async () => {
    const id = newId();
    await db.append(id, acceptAndQueue(id, ['split@x.test'], { mailFrom: 'split@sender.test' }));
    await new ProjectionRunner({ pool: db.pool, store: db.store, projections: [queueProjection], batchSize: 1 }).catchUp();
    const [row] = (await reads.list({ filter: { messageId: id }, first: 5 })).rows;
    expect(row).toMatchObject({ recipient: 'split@x.test', mailFrom: 'split@sender.test', status: 'queued' });
    expect((await db.pool.query('SELECT count(*)::int AS n FROM queue_accepted')).rows[0]).toEqual({ n: 0 });
  });

  it('lists a DSN as pending from BounceQueued until the DSN message is accepted', async () => {
    const [id, dsn, dsn2] = [newId(), newId(), newId()];
    await db.append(id, [...acceptAndQueue(id, ['gone@x.test']), bouncedTo(id, 'gone@x.test'), bounceFor(id, dsn, ['gone@x.test'])]);
    await db.runner.catchUp();
    expect(await pendingDsns(db.pool, { olderThanMs: 0, limit: 10 })).toEqual([
      { dsnMessageId: dsn, messageId: id, recipients: ['gone@x.test'], queuedAt: '2026-01-02T00:00:00.000Z' },
    ]);
    expect(await pendingDsns(db.pool, { olderThanMs: 1e13, limit: 10 })).toEqual([]);
    await db.append(dsn, acceptAndQueue(dsn, ['alice@sender.test'], { mailFrom: '', dsnFor: id }));
    // Both orders within one batch: the DSN accepted before its BounceQueued leaves nothing pending either.
    await db.append(dsn2, acceptAndQueue(dsn2, ['alice@sender.test'], { mailFrom: '', dsnFor: id }));
    await db.append(id, [bounceFor(id, dsn2, ['gone@x.test'])]);
    await db.runner.catchUp();
    expect(await pendingDsns(db.pool, { olderThanMs: 0, limit: 10 })).toEqual([]);
  });
});

const at = (minute: number) => `2026-02-01T00:${String(minute).padStart(2, '0')}:00.000Z`;

/** Traffic touching every event the view folds, in three rounds. */
const round = (r: number, ids: string[], dsns: string[]): Array<[string, AnyDomainEvent[]]> => {
  if (r === 0) {
    return Array.from({ length: 12 }, (_, i) => {
      const id = newId();
      ids.push(id);
      return [id, acceptAndQueue(id, [`r${i}@a.test`, { address: `R${i}@B.test`, zone: 'bulk', priority: i % 2 ? 'high' : 'low' }], { acceptedAt: at(i) })];
    });
  }
  return ids.map((id, i): [string, AnyDomainEvent[]] => {
    const [a, b] = [`r${i}@a.test`, `R${i}@B.test`];
    const cases: AnyDomainEvent[][] = r === 1 ? [
      [attempted(id, [a, b]), deliveredTo(id, a), deferredTo(id, b, 1, at(30))],
      [messageHeld(admin(id)), deferredTo(id, b, 1, at(31))],
      [retryAt(id, [a], at(40)), retryRequested(admin(id, at(41)))],
      i % 4 === 3 ? [bouncedTo(id, a), bounceFor(id, dsns[dsns.push(newId()) - 1] as string, [a])] : [],
    ] : [
      [deferredTo(id, b, 2, at(50))],
      [messageReleased(admin(id))],
      [messageCancelled(admin(id))],
      [messageExpired({ messageId: id, recipients: [b], queueAgeSeconds: 5, at: at(59) })],
    ];
    return [id, cases[i % 4] ?? []];
  });
};

describe('queue replay', () => {
  it('rebuilds a view equal to the one built live', async () => {
    const live = new ProjectionRunner({ pool: db.pool, store: db.store, projections: [queueProjection], batchSize: 3, pollIntervalMs: 20 });
    live.start();
    const ids: string[] = [];
    const dsns: string[] = [];
    const caughtUp = (position: string) => eventually(async () => expect((await checkpoints(db.pool))['queue']?.position).toBe(position));
    try {
      for (let r = 0; r < 3; r++) {
        let last = '';
        for (const [id, events] of round(r, ids, dsns)) if (events.length > 0) last = (await db.append(id, events)).position;
        // Let the live runner see each round in several small batches before the next one arrives.
        await caughtUp(last);
      }
      const dsn = dsns[0] as string;
      await db.append(dsn, [acceptedFor(dsn, ['late@x.test'], { dsnFor: ids[3] as string }), queuedFor(dsn, ['late@x.test'])]);
    } finally {
      await live.stop();
    }
    await live.catchUp();
    const before = await snapshot();
    expect(before.queue.length).toBeGreaterThan(10);
    expect(before.dsns).toHaveLength(2); // three bounces, one DSN accepted since
    await replayProjections(db.pool, db.store, [queueProjection], { batchSize: 5 });
    expect(await snapshot()).toEqual(before);
    await replayProjections(db.pool, db.store, [queueProjection], { batchSize: 1000 });
    expect(await snapshot()).toEqual(before);
  });
});
