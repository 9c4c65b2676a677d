import {
  asMessageId, DomainError, messageHeld, messageStream, recipientBounced, recipientDeferred, recipientDelivered, type AnyDomainEvent,
} from '@elemta/domain';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProjectionRunner } from '../projection-runner.js';
import type { MessageFilter, MessageReadModel } from '../read-models.js';
import { accepted, metadataFor, newId, queued, reply, type AcceptedOptions } from '../testing/message-fixtures.js';
import { openTrackingDb, type TrackingDb } from '../testing/tracking-db.js';
import { trackingProjections } from '../tracking.js';
import { createMessageReadModel } from './message-read-model.js';

let db: TrackingDb;
let reads: MessageReadModel;
let runner: ProjectionRunner;
const at = '2026-03-01T12:00:00.000Z';
const time = (minute: number) => `2026-03-01T10:${String(minute).padStart(2, '0')}:00.000Z`;

const send = async (o: AcceptedOptions & { rcptTo: string[] }, then: (id: string) => AnyDomainEvent[] = () => []) => {
  const id = newId();
  await db.append(id, [accepted(id, o), queued(id, o.rcptTo), ...then(id)]);
  return id;
};
const attempt = { attemptId: 'a1', at };
const delivered = (id: string, recipient: string) => recipientDelivered({ messageId: id, recipient, reply: reply(250, '2.0.0'), ...attempt });

const m: Record<string, string> = {};
beforeAll(async () => {
  db = await openTrackingDb(inject('postgresUrl'));
  reads = createMessageReadModel(db.pool);
  runner = new ProjectionRunner({ pool: db.pool, store: db.store, projections: trackingProjections });
  m['m1'] = await send({ mailFrom: 'Alice@Sender.test', rcptTo: ['bob@example.net'], subject: 'Quarterly report', messageIdHeader: '<q1@sender.test>', acceptedAt: time(1) });
  m['m2'] = await send({ mailFrom: 'carol@other.test', rcptTo: ['Dave@Example.NET', 'erin@x.test'], subject: 'Lunch at 500 Main St', messageIdHeader: '<lunch@other.test>', acceptedAt: time(2) },
    (id) => [delivered(id, 'Dave@Example.NET'), delivered(id, 'erin@x.test')]);
  m['m3'] = await send({ mailFrom: '', rcptTo: ['alice@sender.test'], subject: 'Undelivered: 50%_off', messageIdHeader: null, acceptedAt: time(3) },
    (id) => [recipientBounced({ messageId: id, recipient: 'alice@sender.test', reply: reply(550, '5.1.1'), reason: 'no such user', ...attempt })]);
  m['m4'] = await send({ mailFrom: 'alice@sender.test', rcptTo: ['frank@example.org'], subject: null, messageIdHeader: '<report-2@sender.test>', acceptedAt: time(3) },
    (id) => [messageHeld({ messageId: id, actor: 'api-key:k1', reason: 'check', at })]);
  m['m5'] = await send({ mailFrom: 'mallory@evil.test', rcptTo: ['bob@example.net'], subject: 'QUARTERLY numbers', acceptedAt: time(4) },
    (id) => [recipientDeferred({ messageId: id, recipient: 'bob@example.net', reply: reply(451, '4.7.1'), attempt: 1, nextAttemptAt: at, ...attempt })]);
  await runner.catchUp();
});
afterAll(async () => { await db?.close(); });

/** m3 and m4 share a received time: the id breaks the tie, newest (largest) first. */
const newestFirst = (...names: string[]) => {
  const tied = [m['m3'], m['m4']].sort().reverse();
  const order = [m['m5'], ...tied, m['m2'], m['m1']];
  return order.filter((id) => names.some((n) => m[n] === id));
};
const ids = async (filter: MessageFilter) => {
  const page = await reads.listMessages(filter, { first: 50 });
  expect(page.totalCount).toBe(page.edges.length);
  return page.edges.map((e) => e.node.id);
};

describe('listMessages filters', () => {
  it('lists everything newest first', async () => expect(await ids({})).toEqual(newestFirst('m1', 'm2', 'm3', 'm4', 'm5')));
  it('by sender, exact and case-insensitive', async () => {
    expect(await ids({ sender: 'ALICE@sender.test' })).toEqual(newestFirst('m1', 'm4'));
    expect(await ids({ sender: '' })).toEqual(newestFirst('m3'));
    expect(await ids({ sender: 'alice' })).toEqual([]);
  });
  it('by recipient, exact and case-insensitive', async () => {
    expect(await ids({ recipient: 'dave@example.net' })).toEqual(newestFirst('m2'));
    expect(await ids({ recipient: 'BOB@example.net' })).toEqual(newestFirst('m1', 'm5'));
    expect(await ids({ recipient: 'bob@example' })).toEqual([]);
  });
  it('by Message-ID header, with or without angle brackets', async () => {
    expect(await ids({ messageIdHeader: 'q1@sender.test' })).toEqual(newestFirst('m1'));
    expect(await ids({ messageIdHeader: '<q1@sender.test>' })).toEqual(newestFirst('m1'));
    expect(await ids({ messageIdHeader: 'q1' })).toEqual([]);
  });
  it('by subject substring, with LIKE wildcards taken literally', async () => {
    expect(await ids({ subject: 'quarterly' })).toEqual(newestFirst('m1', 'm5'));
    expect(await ids({ subject: '50%_' })).toEqual(newestFirst('m3'));
  });
  it('by status', async () => {
    expect(await ids({ status: ['delivered', 'bounced'] })).toEqual(newestFirst('m2', 'm3'));
    expect(await ids({ status: ['held'] })).toEqual(newestFirst('m4'));
    expect(await ids({ status: ['deferred'] })).toEqual(newestFirst('m5'));
  });
  it('by received window, half-open', async () => {
    expect(await ids({ receivedAfter: time(3), receivedBefore: time(4) })).toEqual(newestFirst('m3', 'm4'));
    expect(await ids({ receivedAfter: time(4) })).toEqual(newestFirst('m5'));
    expect(await ids({ receivedBefore: time(2) })).toEqual(newestFirst('m1'));
  });
  it('by free text over sender, recipients, subject and Message-ID', async () => {
    expect(await ids({ search: 'EVIL' })).toEqual(newestFirst('m5'));
    expect(await ids({ search: 'example.org' })).toEqual(newestFirst('m4'));
    expect(await ids({ search: 'report' })).toEqual(newestFirst('m1', 'm4'));
    expect(await ids({ search: 'lunch@' })).toEqual(newestFirst('m2'));
  });
  it('combines filters with AND', async () =>
    expect(await ids({ sender: 'alice@sender.test', status: ['held', 'delivered'] })).toEqual(newestFirst('m4')));
  it('rejects a malformed timestamp or cursor', async () => {
    await expect(reads.listMessages({ receivedAfter: 'soon' }, { first: 5 })).rejects.toBeInstanceOf(DomainError);
    await expect(reads.listMessages({}, { first: 5, after: 'bm9wZQ' })).rejects.toBeInstanceOf(DomainError);
  });
  it('clamps the page size', async () => {
    expect((await reads.listMessages({}, { first: 0 })).edges).toHaveLength(1);
    expect((await reads.listMessages({}, { first: 10_000 })).edges.length).toBeLessThanOrEqual(200);
  });
});

describe('order and backwards pagination (Relay last/before)', () => {
  const march = { receivedBefore: '2026-03-02T00:00:00.000Z' }; // m1..m5 only
  const all = () => newestFirst('m1', 'm2', 'm3', 'm4', 'm5');
  const pageIds = (page: { edges: readonly { node: { id: string } }[] }) => page.edges.map((e) => e.node.id);

  it('lists oldest first with received_asc, the same rows reversed', async () => {
    const page = await reads.listMessages(march, { first: 50, order: 'received_asc' });
    expect(pageIds(page)).toEqual([...all()].reverse());
    expect(page.totalCount).toBe(5);
  });

  it('counts the whole filter on every page: a full one, one beyond the last row, and none matching', async () => {
    const first = await reads.listMessages(march, { first: 5 });
    expect(first.totalCount).toBe(5);
    const beyond = await reads.listMessages(march, { first: 5, after: first.pageInfo.endCursor });
    expect(beyond.edges).toEqual([]);
    expect(beyond.totalCount).toBe(5);
    const before = await reads.listMessages(march, { last: 5, before: first.edges[0]!.cursor });
    expect(before.edges).toEqual([]);
    expect(before.totalCount).toBe(5);
    expect(await reads.listMessages({ ...march, sender: 'nobody@nowhere.test' }, { first: 5 })).toMatchObject({ edges: [], totalCount: 0 });
  });

  it('gives the end of the list for last without before', async () => {
    const page = await reads.listMessages(march, { last: 2 });
    expect(pageIds(page)).toEqual(all().slice(3));
    expect(page.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
  });

  it('pages backwards with last/before through the same rows, in list order', async () => {
    for (const order of ['received_desc', 'received_asc'] as const) {
      const seen: string[] = [];
      let before: string | null = null;
      for (let i = 0; i < 10; i++) {
        const page = await reads.listMessages(march, { last: 2, before, order });
        seen.unshift(...pageIds(page));
        expect(page.pageInfo.hasNextPage).toBe(before !== null);
        if (!page.pageInfo.hasPreviousPage) break;
        before = page.pageInfo.startCursor;
      }
      expect(seen).toEqual(order === 'received_desc' ? all() : [...all()].reverse());
    }
  });

  it('takes a cursor of either direction, and after with before as a window', async () => {
    const forward = await reads.listMessages(march, { first: 50 });
    const cursors = forward.edges.map((e) => e.cursor);
    const window = await reads.listMessages(march, { first: 50, after: cursors[0], before: cursors[4] });
    expect(pageIds(window)).toEqual(all().slice(1, 4));
    const backwards = await reads.listMessages(march, { last: 1, before: cursors[2] });
    expect(pageIds(backwards)).toEqual([all()[1]]);
  });

  it('refuses first together with last', async () => {
    await expect(reads.listMessages({}, { first: 2, last: 2 })).rejects.toMatchObject({ code: 'INVALID_PAGE' });
  });
});

describe('submittedBy', () => {
  it("lists exactly one submitter's messages and shows the submitter on each", async () => {
    const byKey = async (actor: string) => {
      const id = newId();
      await db.store.appendToStream(messageStream(asMessageId(id)), [accepted(id, { acceptedAt: '2026-03-05T10:00:00.000Z' }), queued(id, ['bob@example.net'])],
        { expectedVersion: 0, metadata: { ...metadataFor(id), actor } });
      return id;
    };
    const [k1a, k2, k1b] = [await byKey('api-key:k1'), await byKey('api-key:k2'), await byKey('api-key:k1')];
    await runner.catchUp();
    expect(await ids({ submittedBy: 'api-key:k1' })).toEqual([k1a, k1b].sort().reverse());
    expect(await ids({ submittedBy: 'api-key:k2' })).toEqual([k2]);
    expect(await ids({ submittedBy: 'api-key:k3' })).toEqual([]);
    expect((await reads.getMessage(k2))?.submittedBy).toBe('api-key:k2');
    expect((await reads.getMessage(m['m1'] as string))?.submittedBy).toBe('smtp:127.0.0.1');
  });
});

describe('getMessage and getMessageEvents', () => {
  it('returns the message view, by id in any case, and null for unknown or malformed ids', async () => {
    const id = m['m2'] as string;
    expect(await reads.getMessage(id.toUpperCase())).toMatchObject({
      id, status: 'delivered', mailFrom: 'carol@other.test', subject: 'Lunch at 500 Main St', sizeBytes: 1234,
      messageIdHeader: '<lunch@other.test>', receivedAt: time(2), listener: 'inbound', clientAddress: '127.0.0.1',
      sessionId: 'session-1', authUser: null, fromHeader: 'Alice <alice@sender.test>', bodySha256: 'a'.repeat(64),
    });
    expect(await reads.getMessage(newId())).toBeNull();
    expect(await reads.getMessage('not-a-uuid')).toBeNull();
  });
  it('returns the timeline in stream order with data and metadata', async () => {
    const events = await reads.getMessageEvents(m['m2'] as string);
    expect(events.map((e) => [e.version, e.type, e.schemaVersion])).toEqual([
      [1, 'MessageAccepted', 1], [2, 'MessageQueued', 1], [3, 'RecipientDelivered', 1], [4, 'RecipientDelivered', 1],
    ]);
    expect(events[2]?.data).toMatchObject({ recipient: 'Dave@Example.NET', reply: { code: 250 } });
    expect(events[0]?.metadata.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await reads.getMessageEvents('nope')).toEqual([]);
  });
});

describe('pagination', () => {
  it('neither repeats nor skips a message while new ones arrive between pages', async () => {
    const sender = 'pager@paging.test';
    for (let i = 0; i < 25; i++) {
      await send({ mailFrom: sender, rcptTo: ['x@y.test'], acceptedAt: `2026-04-01T10:00:0${i % 5}.000Z` }); // ties of five
    }
    await runner.catchUp();
    const expected = await ids({ sender });
    expect(expected).toHaveLength(25);

    const seen: string[] = [];
    let after: string | null = null;
    let rounds = 0;
    for (let page = 0; page < 10; page++) {
      const result = await reads.listMessages({ sender }, { first: 10, after });
      seen.push(...result.edges.map((e) => e.node.id));
      expect(result.pageInfo.hasPreviousPage).toBe(after !== null);
      expect(result.pageInfo.startCursor).toBe(result.edges[0]?.cursor ?? null);
      if (!result.pageInfo.hasNextPage) break;
      after = result.pageInfo.endCursor;
      rounds += 1;
      await send({ mailFrom: sender, rcptTo: ['x@y.test'], acceptedAt: `2026-05-0${page + 1}T10:00:00.000Z` });
      await send({ mailFrom: sender, rcptTo: ['x@y.test'], acceptedAt: '2026-04-01T10:00:02.000Z' }); // ties the cursor's time
      await runner.catchUp();
    }
    expect(seen.filter((id) => expected.includes(id))).toEqual(expected);
    expect(new Set(seen).size).toBe(seen.length);
    expect((await reads.listMessages({ sender }, { first: 1 })).totalCount).toBe(25 + 2 * rounds);
  });
});
