import { afterEach, describe, expect, it, vi } from 'vitest';
import { aQueueEntry, emptySummary, executeWith, InMemoryQueueReadModel } from '../testing/queue-fakes.js';

const id1 = '0190f3c2-0000-7000-8000-000000000001';
const id2 = '0190f3c2-0000-7000-8000-000000000002';

const rows = [
  aQueueEntry({ messageId: id1, recipient: 'a@example.net', status: 'held', lastAttemptAt: null, lastReply: null, attempts: 0 }),
  aQueueEntry({ messageId: id1, recipient: 'b@example.net', priority: 'critical' }),
  aQueueEntry({ messageId: id2, recipient: 'c@example.com', domain: 'example.com', status: 'delivering', route: 'capture' }),
];

const listQuery = `query ($filter: QueueFilter, $first: Int, $after: String) {
  queue(filter: $filter, first: $first, after: $after) {
    totalCount
    edges { cursor node { messageId recipient status priority } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

describe('Query.queue', () => {
  it('returns every field of a queue entry', async () => {
    const result = await executeWith({ queue: new InMemoryQueueReadModel([aQueueEntry()]) }, `{ queue { edges { node {
      messageId recipient domain route zone priority status mailFrom acceptedAt nextAttemptAt attempts lastAttemptAt
      lastReply { code enhancedCode text command } } } } }`);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ queue: { edges: [{ node: {
      messageId: id1, recipient: 'bob@example.net', domain: 'example.net', route: 'relay', zone: 'default', priority: 'NORMAL',
      status: 'DEFERRED', mailFrom: 'alice@example.org', acceptedAt: '2026-11-20T09:30:00.000Z', nextAttemptAt: '2026-11-20T09:45:00.000Z',
      attempts: 1, lastAttemptAt: '2026-11-20T09:30:05.000Z',
      lastReply: { code: 451, enhancedCode: '4.7.1', text: 'Try again later', command: 'RCPT' },
    } }] } });
  });

  it("pages as a Relay connection, each edge with the read model's cursor of its row", async () => {
    const queue = new InMemoryQueueReadModel(rows);
    const result = await executeWith({ queue }, listQuery, { first: 2 });
    expect(result.errors).toBeUndefined();
    expect(queue.listCalls).toEqual([{ filter: {}, first: 2, after: null }]);
    expect(result.data).toEqual({ queue: {
      totalCount: 3,
      edges: [
        { cursor: '1', node: { messageId: id1, recipient: 'a@example.net', status: 'HELD', priority: 'NORMAL' } },
        { cursor: '2', node: { messageId: id1, recipient: 'b@example.net', status: 'DEFERRED', priority: 'CRITICAL' } },
      ],
      pageInfo: { hasNextPage: true, hasPreviousPage: false, startCursor: '1', endCursor: '2' },
    } });
  });

  it('continues after the cursor it is given', async () => {
    const queue = new InMemoryQueueReadModel(rows);
    const result = await executeWith({ queue }, listQuery, { first: 2, after: '2' });
    expect(result.data?.['queue']).toMatchObject({
      edges: [{ cursor: '3', node: { recipient: 'c@example.com', status: 'DELIVERING' } }],
      pageInfo: { hasNextPage: false, hasPreviousPage: true, endCursor: '3' },
    });
  });

  it('maps the filter to the read model, statuses to lower case, dropping nulls and an empty status list', async () => {
    const queue = new InMemoryQueueReadModel(rows);
    await executeWith({ queue }, listQuery, {
      filter: { status: ['HELD', 'DELIVERING'], zone: 'bulk', domain: 'Example.NET', sender: '', route: 'relay', messageId: id1 },
    });
    await executeWith({ queue }, listQuery, { filter: { status: [], zone: null, domain: 'example.net' } });
    expect(queue.listCalls.map((c) => c.filter)).toEqual([
      { status: ['held', 'delivering'], zone: 'bulk', domain: 'Example.NET', sender: '', route: 'relay', messageId: id1 },
      { domain: 'example.net' },
    ]);
  });

  it.each([0, 201])('rejects first = %i as BAD_USER_INPUT without reading', async (first) => {
    const queue = new InMemoryQueueReadModel(rows);
    const result = await executeWith({ queue }, listQuery, { first });
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'PAGE_SIZE_OUT_OF_RANGE' });
    expect(queue.listCalls).toEqual([]);
  });

  it("turns the read model's rejection of a cursor into BAD_USER_INPUT", async () => {
    const result = await executeWith({ queue: new InMemoryQueueReadModel(rows) }, listQuery, { after: 'not-a-cursor' });
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' });
  });
});

describe('Query.queueSummary', () => {
  afterEach(() => vi.useRealTimers());

  const summaryQuery = `{ queueSummary { total byStatus { status count } byZone { zone count } byDomain { domain count }
    oldestAcceptedAt oldestAgeSeconds } }`;

  it('returns the counts and the age of the oldest message in whole seconds', async () => {
    vi.useFakeTimers({ now: new Date('2026-11-20T10:00:30.900Z'), toFake: ['Date'] });
    const queue = new InMemoryQueueReadModel([], {
      ...emptySummary,
      total: 3,
      byStatus: [{ status: 'deferred', count: 2 }, { status: 'delivering', count: 1 }],
      byZone: [{ zone: 'default', count: 3, oldestAcceptedAt: '2026-11-20T10:00:00.000Z' }],
      byStatusAndZone: [{ status: 'deferred', zone: 'default', count: 2 }],
      byDomain: [{ domain: 'example.net', count: 2 }, { domain: 'example.com', count: 1 }],
      oldestAcceptedAt: '2026-11-20T10:00:00.000Z',
      oldestDueAt: '2026-11-20T10:05:00.000Z',
    });
    const result = await executeWith({ queue }, summaryQuery);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ queueSummary: {
      total: 3,
      byStatus: [{ status: 'DEFERRED', count: 2 }, { status: 'DELIVERING', count: 1 }],
      byZone: [{ zone: 'default', count: 3 }],
      byDomain: [{ domain: 'example.net', count: 2 }, { domain: 'example.com', count: 1 }],
      oldestAcceptedAt: '2026-11-20T10:00:00.000Z',
      oldestAgeSeconds: 30,
    } });
  });

  it('has no oldest message when the queue is empty', async () => {
    const result = await executeWith({ queue: new InMemoryQueueReadModel() }, summaryQuery);
    expect(result.data).toEqual({ queueSummary: {
      total: 0, byStatus: [], byZone: [], byDomain: [], oldestAcceptedAt: null, oldestAgeSeconds: null,
    } });
  });
});
