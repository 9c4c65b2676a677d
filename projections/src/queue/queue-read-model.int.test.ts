import { DomainError, messageHeld, type AnyDomainEvent } from '@elemta/domain';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newId } from '../testing/message-fixtures.js';
import { claimDueMessages } from './queue-claims.js';
import type { QueueFilter } from './queue-filter.js';
import { createQueueReadModel, type QueueReadModel } from './queue-read-model.js';
import { openQueueDb, type QueueDb } from './testing/queue-db.js';
import { acceptAndQueue, admin, deferredTo, FUTURE, type Rcpt } from './testing/queue-fixtures.js';

let db: QueueDb;
let reads: QueueReadModel;
const m: Record<string, string> = {};
const time = (minute: number) => `2026-03-01T10:${String(minute).padStart(2, '0')}:00.000Z`;

const send = async (name: string, minute: number, mailFrom: string, rcpts: (string | Rcpt)[], then: (id: string) => AnyDomainEvent[] = () => []) => {
  const id = newId();
  m[name] = id;
  await db.append(id, [...acceptAndQueue(id, rcpts, { mailFrom, acceptedAt: time(minute) }), ...then(id)]);
};

beforeAll(async () => {
  db = await openQueueDb(inject('postgresUrl'));
  reads = createQueueReadModel(db.pool);
  await send('m1', 1, 'Alice@Sender.test', ['a@example.net', { address: 'b@other.test', zone: 'bulk', notBefore: FUTURE }]);
  await send('m2', 2, '', [{ address: 'c@example.net', route: 'local', notBefore: FUTURE }], (id) => [deferredTo(id, 'c@example.net', 3)]);
  await send('m3', 3, 'alice@sender.test', [{ address: 'd@example.net', notBefore: FUTURE }], (id) => [messageHeld(admin(id))]);
  await send('m4', 3, 'bob@sender.test', [{ address: 'e@third.test', zone: 'bulk' }]);
  await db.runner.catchUp();
  // m4 is being delivered: its due row is leased.
  const claimed = await claimDueMessages(db.pool, { owner: 'w1', leaseMs: 60_000, limit: 1, zones: ['bulk'] });
  expect(claimed).toEqual([m['m4']]);
});
afterAll(async () => { await db?.close(); });

const rows = async (filter: QueueFilter) => {
  const page = await reads.list({ filter, first: 50 });
  expect(page.totalCount).toBe(page.rows.length);
  return page.rows.map((r) => `${Object.keys(m).find((k) => m[k] === r.messageId)}:${r.recipient}:${r.status}`);
};

describe('queue list', () => {
  it('lists every pending recipient, oldest accepted first, leased rows as delivering', async () => {
    const ordered = [['m3', 'd@example.net:held'], ['m4', 'e@third.test:delivering']].sort((x, y) => (m[x[0]!]! < m[y[0]!]! ? -1 : 1));
    expect(await rows({})).toEqual([
      'm1:a@example.net:queued', 'm1:b@other.test:queued', 'm2:c@example.net:deferred', ...ordered.map(([k, r]) => `${k}:${r}`),
    ]);
  });
  it('filters by status, including delivering', async () => {
    expect(await rows({ status: ['delivering'] })).toEqual(['m4:e@third.test:delivering']);
    expect(await rows({ status: ['held', 'deferred'] })).toEqual(['m2:c@example.net:deferred', 'm3:d@example.net:held']);
    expect(await rows({ status: ['queued'] })).toEqual(['m1:a@example.net:queued', 'm1:b@other.test:queued']);
  });
  it('filters by zone, domain, sender, route and message id', async () => {
    expect(await rows({ zone: 'bulk' })).toEqual(['m1:b@other.test:queued', 'm4:e@third.test:delivering']);
    expect(await rows({ domain: 'EXAMPLE.net' })).toEqual(['m1:a@example.net:queued', 'm2:c@example.net:deferred', 'm3:d@example.net:held']);
    expect(await rows({ sender: 'alice@SENDER.test' })).toEqual(['m1:a@example.net:queued', 'm1:b@other.test:queued', 'm3:d@example.net:held']);
    expect(await rows({ sender: '' })).toEqual(['m2:c@example.net:deferred']);
    expect(await rows({ route: 'local' })).toEqual(['m2:c@example.net:deferred']);
    expect(await rows({ messageId: (m['m2'] as string).toUpperCase() })).toEqual(['m2:c@example.net:deferred']);
    expect(await rows({ messageId: 'nope' })).toEqual([]);
  });
  it('returns the row fields', async () => {
    const [row] = (await reads.list({ filter: { messageId: m['m2'] as string }, first: 1 })).rows;
    expect(row).toMatchObject({
      domain: 'example.net', route: 'local', zone: 'default', priority: 'normal', mailFrom: '', acceptedAt: time(2),
      attempts: 3, nextAttemptAt: FUTURE, lastAttemptAt: '2026-01-02T00:00:00.000Z', lastReply: { code: 451, enhancedCode: '4.3.0' },
    });
  });
  it('pages with a cursor, neither repeating nor skipping rows', async () => {
    const all = (await reads.list({ first: 50 })).rows.map((r) => `${r.messageId}/${r.recipient}`);
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page = await reads.list({ first: 2, after });
      expect(page.totalCount).toBe(5);
      seen.push(...page.rows.map((r) => `${r.messageId}/${r.recipient}`));
      if (!page.hasNextPage) break;
      after = page.endCursor;
    }
    expect(seen).toEqual(all);
    const last = await reads.list({ first: 50 });
    expect(await reads.list({ first: 2, after: last.endCursor })).toMatchObject({ rows: [], totalCount: 5, hasNextPage: false });
    expect(await reads.list({ filter: { messageId: 'nope' }, first: 2 })).toMatchObject({ rows: [], totalCount: 0 });
    await expect(reads.list({ first: 2, after: 'bm9wZQ' })).rejects.toBeInstanceOf(DomainError);
  });
});

describe('queue summary', () => {
  it('counts by status, zone and domain, and reports the oldest accepted (overall and per zone) and due times', async () => {
    const summary = await reads.summary();
    expect(summary.byStatusAndZone.reduce((n, r) => n + r.count, 0)).toBe(5);
    expect(new Set(summary.byStatusAndZone.map((r) => r.zone))).toEqual(new Set(['default', 'bulk']));
    expect(summary).toEqual({
      byStatusAndZone: summary.byStatusAndZone,
      total: 5,
      byStatus: [{ status: 'queued', count: 2 }, { status: 'deferred', count: 1 }, { status: 'delivering', count: 1 }, { status: 'held', count: 1 }],
      byZone: [{ zone: 'default', count: 3, oldestAcceptedAt: time(1) }, { zone: 'bulk', count: 2, oldestAcceptedAt: time(1) }],
      byDomain: [{ domain: 'example.net', count: 3 }, { domain: 'other.test', count: 1 }, { domain: 'third.test', count: 1 }],
      oldestAcceptedAt: time(1),
      oldestDueAt: '2026-01-01T10:00:00.000Z',
    });
  });
});

describe('messageIdsMatching', () => {
  it('returns distinct message ids for a filter, up to the limit', async () => {
    const sorted = (...names: string[]) => names.map((n) => m[n] as string).sort();
    expect(await reads.messageIdsMatching({ sender: 'alice@sender.test' }, 10)).toEqual(sorted('m1', 'm3'));
    expect(await reads.messageIdsMatching({ domain: 'example.net', status: ['queued', 'deferred'] }, 10)).toEqual(sorted('m1', 'm2'));
    expect(await reads.messageIdsMatching({ zone: 'bulk' }, 10)).toEqual(sorted('m1', 'm4'));
    expect(await reads.messageIdsMatching({}, 2)).toEqual(sorted('m1', 'm2', 'm3', 'm4').slice(0, 2));
  });
});
