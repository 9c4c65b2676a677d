import { messageHeld } from '@elemta/domain';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { newId } from '../testing/message-fixtures.js';
import { claimDueMessages, deleteExpiredLeases, dropClaims, releaseClaims, renewLeases, type ClaimOptions } from './queue-claims.js';
import { openQueueDb, type QueueDb } from './testing/queue-db.js';
import { acceptAndQueue, admin, FUTURE, type Rcpt } from './testing/queue-fixtures.js';

let db: QueueDb;
beforeAll(async () => { db = await openQueueDb(inject('postgresUrl')); });
afterAll(async () => { await db?.close(); });
// Earlier tests' messages leave the view; the checkpoint has passed their events, so they do not come back.
beforeEach(async () => { await db.pool.query('TRUNCATE queue, queue_leases'); });

const enqueue = async (rcpts: readonly (string | Rcpt)[], events: (id: string) => ReturnType<typeof messageHeld>[] = () => []) => {
  const id = newId();
  await db.append(id, [...acceptAndQueue(id, rcpts), ...events(id)]);
  return id;
};
const claim = (o: Partial<ClaimOptions> = {}) => claimDueMessages(db.pool, { owner: 'w1', leaseMs: 60_000, limit: 10, ...o });
const ids = (o: Partial<ClaimOptions> = {}) => claim(o);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('claimDueMessages', () => {
  it('gives each of 200 due messages to exactly one of two racing claimers', async () => {
    const all = new Set<string>();
    for (let i = 0; i < 200; i++) all.add(await enqueue([`a${i}@x.test`, `b${i}@y.test`]));
    await db.runner.catchUp();
    const worker = async (owner: string) => {
      const got: string[] = [];
      // Rows the other claimer has locked are skipped, so one empty answer does not yet mean that nothing is left.
      for (let empty = 0; empty < 3;) {
        const batch = await claimDueMessages(db.pool, { owner, leaseMs: 60_000, limit: 7 });
        empty = batch.length === 0 ? empty + 1 : 0;
        got.push(...batch);
      }
      return got;
    };
    const [a, b] = await Promise.all([worker('w1'), worker('w2')]);
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    expect(a.length + b.length).toBe(200);
    expect(new Set([...a, ...b])).toEqual(all);
  });

  it('claims a message with a due row, and not one whose rows are all still to come', async () => {
    const id = await enqueue(['a@x.test', 'b@y.test', { address: 'later@x.test', notBefore: FUTURE }]);
    await enqueue([{ address: 'later@x.test', notBefore: FUTURE }]);
    await db.runner.catchUp();
    expect(await ids()).toEqual([id]);
  });

  it('claims the highest priority first, then the oldest due', async () => {
    const low = await enqueue([{ address: 'l@x.test', priority: 'low', notBefore: '2026-01-01T00:00:00.000Z' }]);
    const normalNew = await enqueue([{ address: 'n2@x.test', notBefore: '2026-01-03T00:00:00.000Z' }]);
    const normalOld = await enqueue([{ address: 'n1@x.test', notBefore: '2026-01-02T00:00:00.000Z' }]);
    const critical = await enqueue([{ address: 'low@x.test', priority: 'low' }, { address: 'c@x.test', priority: 'critical', notBefore: '2026-01-04T00:00:00.000Z' }]);
    await db.runner.catchUp();
    expect(await ids({ limit: 2 })).toEqual([critical, normalOld]);
    expect(await ids({ limit: 5 })).toEqual([normalNew, low]);
  });

  it('never claims held rows', async () => {
    await enqueue(['h@x.test'], (id) => [messageHeld(admin(id))]);
    const free = await enqueue(['f@x.test']);
    await db.runner.catchUp();
    expect(await ids()).toEqual([free]);
    expect(await ids({ owner: 'w2' })).toEqual([]);
  });

  it('only claims rows in the given zones', async () => {
    const bulk = await enqueue([{ address: 'b@x.test', zone: 'bulk' }]);
    await enqueue([{ address: 't@x.test', zone: 'transactional' }]);
    await db.runner.catchUp();
    expect(await ids({ zones: ['bulk', 'other'] })).toEqual([bulk]);
  });

  it('makes a message claimable again once its lease expires, and not before', async () => {
    const id = await enqueue(['e@x.test']);
    await db.runner.catchUp();
    expect(await ids({ leaseMs: 300 })).toEqual([id]);
    expect(await ids({ owner: 'w2' })).toEqual([]);
    await sleep(400);
    expect(await ids({ owner: 'w2' })).toEqual([id]);
    expect(await renewLeases(db.pool, 'w1', [id], 60_000)).toEqual([]); // no longer w1's
    expect(await renewLeases(db.pool, 'w2', [id, 'not-a-uuid'], 60_000)).toEqual([id]);
  });

  it('does not claim a released message again during its hold-off', async () => {
    const [held, quick] = [await enqueue(['r@x.test']), await enqueue(['q@x.test'])];
    await db.runner.catchUp();
    expect(new Set(await ids())).toEqual(new Set([held, quick]));
    expect(await releaseClaims(db.pool, 'w2', [held], 60_000)).toEqual([]); // not w2's to release
    expect(await releaseClaims(db.pool, 'w1', [held], 60_000)).toEqual([held]);
    expect(await releaseClaims(db.pool, 'w1', [quick], 1)).toEqual([quick]);
    await sleep(20);
    expect(await ids({ owner: 'w2' })).toEqual([quick]);
    expect(await renewLeases(db.pool, 'w1', [held], 60_000)).toEqual([]); // a released lease is not renewed
  });

  it('drops the claims of settled messages, only its own', async () => {
    const [a, b] = [await enqueue(['a@x.test']), await enqueue(['b@x.test'])];
    await db.runner.catchUp();
    expect(new Set(await ids())).toEqual(new Set([a, b]));
    expect(await dropClaims(db.pool, 'w2', [a, b])).toEqual([]);
    expect(await dropClaims(db.pool, 'w1', [a])).toEqual([a]);
    expect((await db.pool.query('SELECT message_id::text AS id FROM queue_leases')).rows).toEqual([{ id: b }]);
  });

  it('deletes leases that expired long enough ago', async () => {
    const [a, b] = [await enqueue(['a@x.test']), await enqueue(['b@x.test'])];
    await db.runner.catchUp();
    await claim({ leaseMs: 1 });
    await releaseClaims(db.pool, 'w1', [b], 60_000);
    await sleep(20);
    expect(await deleteExpiredLeases(db.pool, 5)).toBe(1);
    expect((await db.pool.query('SELECT message_id::text AS id FROM queue_leases')).rows).toEqual([{ id: b }]);
    expect(await ids()).toEqual([a]);
  });
});
