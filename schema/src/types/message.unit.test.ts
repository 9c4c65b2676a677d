import { describe, expect, it } from 'vitest';
import { aMessage, anEvent, execute } from '../testing/fixtures.js';
import { InMemoryMessageReadModel } from '../testing/in-memory-message-read-model.js';

const id1 = '0190f3c2-0000-7000-8000-000000000001';
const id2 = '0190f3c2-0000-7000-8000-000000000002';
const id3 = '0190f3c2-0000-7000-8000-000000000003';

const readModel = () =>
  new InMemoryMessageReadModel(
    [
      aMessage({ id: id1, receivedAt: '2026-11-20T09:00:00.000Z' }),
      aMessage({ id: id2, status: 'delivered', receivedAt: '2026-11-20T10:00:00.000Z', subject: null, authUser: null }),
      aMessage({ id: id3, status: 'partial', receivedAt: '2026-11-20T11:00:00.000Z' }),
    ],
    [
      anEvent({ messageId: id1, version: 2, position: '205', type: 'MessageQueued', data: { recipients: [] } }),
      anEvent({ messageId: id1, version: 1, position: '200' }),
      anEvent({ messageId: id2, version: 1, position: '300' }),
    ],
  );

const listQuery = `query ($filter: MessageFilter, $first: Int, $after: String) {
  messages(filter: $filter, first: $first, after: $after) {
    totalCount
    edges { cursor node { id status } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

describe('Query.message', () => {
  it('returns a message with its recipients and its events in stream order', async () => {
    const result = await execute(readModel(), `{
      message(id: "${id1}") {
        id status mailFrom subject fromHeader messageIdHeader size bodySha256 receivedAt updatedAt
        listener clientAddress authUser sessionId
        recipients { address domain status route zone }
        events { position version type schemaVersion recordedAt data metadata }
      }
    }`);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      message: {
        id: id1, status: 'QUEUED', mailFrom: 'alice@example.org', subject: 'Hello', fromHeader: 'Alice <alice@example.org>',
        messageIdHeader: '<abc@example.org>', size: 1024, bodySha256: 'a'.repeat(64),
        receivedAt: '2026-11-20T09:00:00.000Z', updatedAt: '2026-11-20T09:30:01.000Z', listener: 'submission',
        clientAddress: '192.0.2.10', authUser: 'alice', sessionId: '0190f3c1-0000-7000-8000-000000000001',
        recipients: [{ address: 'bob@example.net', domain: 'example.net', status: 'QUEUED', route: 'relay', zone: null }],
        events: [
          {
            position: '200', version: 1, type: 'MessageAccepted', schemaVersion: 2, recordedAt: '2026-11-20T09:30:00.000Z',
            data: anEvent().data, metadata: anEvent().metadata,
          },
          {
            position: '205', version: 2, type: 'MessageQueued', schemaVersion: 2, recordedAt: '2026-11-20T09:30:00.000Z',
            data: { recipients: [] }, metadata: anEvent().metadata,
          },
        ],
      },
    });
  });

  it('returns null for an unknown id', async () => {
    const result = await execute(readModel(), '{ message(id: "0190f3c2-0000-7000-8000-0000000000ff") { id } }');
    expect(result).toEqual({ data: { message: null } });
  });
});

describe('Query.messages', () => {
  it('passes the page through and returns a Relay connection', async () => {
    const messages = readModel();
    const result = await execute(messages, listQuery, { first: 2 });
    expect(result.errors).toBeUndefined();
    expect(messages.listCalls).toEqual([{ filter: {}, page: { first: 2, after: null, before: null, order: 'received_desc' } }]);
    expect(result.data).toEqual({
      messages: {
        totalCount: 3,
        edges: [{ cursor: id3, node: { id: id3, status: 'PARTIAL' } }, { cursor: id2, node: { id: id2, status: 'DELIVERED' } }],
        pageInfo: { hasNextPage: true, hasPreviousPage: false, startCursor: id3, endCursor: id2 },
      },
    });
  });

  it('continues after the cursor it is given', async () => {
    const messages = readModel();
    const result = await execute(messages, listQuery, { first: 2, after: id2 });
    expect(messages.listCalls[0]?.page).toEqual({ first: 2, after: id2, before: null, order: 'received_desc' });
    expect(result.data?.messages).toMatchObject({
      edges: [{ cursor: id1 }],
      pageInfo: { hasNextPage: false, hasPreviousPage: true, startCursor: id1, endCursor: id1 },
    });
  });

  it('asks for 25 messages when first is omitted', async () => {
    const messages = readModel();
    await execute(messages, '{ messages { totalCount } }');
    expect(messages.listCalls[0]?.page).toEqual({ first: 25, after: null, before: null, order: 'received_desc' });
  });

  it.each([0, -1, 201])('rejects first = %i as BAD_USER_INPUT without reading', async (first) => {
    const messages = readModel();
    const result = await execute(messages, listQuery, { first });
    expect(result.data).toBeNull();
    expect(result.errors?.[0]?.message).toBe(`first must be between 1 and 200; got ${first}`);
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'PAGE_SIZE_OUT_OF_RANGE' });
    expect(messages.listCalls).toEqual([]);
  });

  it('accepts the page size limits 1 and 200', async () => {
    const messages = readModel();
    await execute(messages, listQuery, { first: 1 });
    await execute(messages, listQuery, { first: 200 });
    expect(messages.listCalls.map((call) => call.page.first)).toEqual([1, 200]);
  });

  it('rejects an empty cursor as BAD_USER_INPUT', async () => {
    const result = await execute(readModel(), listQuery, { after: '' });
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' });
  });

  it("turns the read model's rejection of a cursor into BAD_USER_INPUT", async () => {
    const result = await execute(readModel(), listQuery, { after: 'not-a-cursor' });
    expect(result.errors?.[0]?.message).toBe('unknown cursor not-a-cursor');
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' });
  });

  it('leaves other read failures as internal errors, not BAD_USER_INPUT', async () => {
    const broken = readModel();
    broken.listMessages = async () => {
      throw new Error('connection refused');
    };
    const result = await execute(broken, listQuery, {});
    expect(result.errors?.[0]?.message).toBe('connection refused');
    expect(result.errors?.[0]?.extensions).toEqual({});
  });
});

describe('Query.messages backwards and in order', () => {
  const backwards = `query ($last: Int, $before: String, $first: Int, $orderBy: MessageOrder) {
    messages(last: $last, before: $before, first: $first, orderBy: $orderBy) { totalCount } }`;

  it('passes last, before and the order through to the read model', async () => {
    const messages = readModel();
    const result = await execute(messages, backwards, { last: 3, before: id1, orderBy: 'RECEIVED_ASC' });
    expect(result.errors).toBeUndefined();
    expect(messages.listCalls[0]?.page).toEqual({ last: 3, before: id1, after: null, order: 'received_asc' });
  });

  it('refuses first together with last, and last out of range, as BAD_USER_INPUT without reading', async () => {
    const messages = readModel();
    const both = await execute(messages, backwards, { last: 3, first: 3 });
    expect(both.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'FIRST_AND_LAST' });
    const tooMany = await execute(messages, backwards, { last: 201 });
    expect(tooMany.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'PAGE_SIZE_OUT_OF_RANGE' });
    expect(messages.listCalls).toEqual([]);
  });
});
