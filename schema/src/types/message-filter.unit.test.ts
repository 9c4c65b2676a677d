import { describe, expect, it } from 'vitest';
import { aMessage, execute } from '../testing/fixtures.js';
import { InMemoryMessageReadModel } from '../testing/in-memory-message-read-model.js';

const listQuery = 'query ($filter: MessageFilter) { messages(filter: $filter) { totalCount } }';

describe('MessageFilter', () => {
  it('maps every field to the read model filter, statuses to lower case and dates to UTC', async () => {
    const messages = new InMemoryMessageReadModel([aMessage()]);
    const result = await execute(messages, listQuery, {
      filter: {
        sender: 'alice@example.org', recipient: 'bob@example.net', messageIdHeader: '<abc@example.org>', subject: 'Hello',
        status: ['QUEUED', 'DEFERRED', 'PARTIAL'], receivedAfter: '2026-11-20T10:00:00+01:00',
        receivedBefore: '2026-11-21T00:00Z', search: 'invoice',
      },
    });
    expect(result.errors).toBeUndefined();
    expect(messages.listCalls[0]?.filter).toEqual({
      sender: 'alice@example.org', recipient: 'bob@example.net', messageIdHeader: '<abc@example.org>', subject: 'Hello',
      status: ['queued', 'deferred', 'partial'], receivedAfter: '2026-11-20T09:00:00.000Z',
      receivedBefore: '2026-11-21T00:00:00.000Z', search: 'invoice',
    });
  });

  it('drops null fields and an empty status list', async () => {
    const messages = new InMemoryMessageReadModel([aMessage()]);
    await execute(messages, listQuery, { filter: { sender: null, status: [], search: 'x' } });
    expect(messages.listCalls[0]?.filter).toEqual({ search: 'x' });
  });

  it('takes statuses written inline in the query', async () => {
    const messages = new InMemoryMessageReadModel([aMessage({ status: 'held' })]);
    const result = await execute(messages, '{ messages(filter: { status: [HELD] }) { edges { node { status } } } }');
    expect(messages.listCalls[0]?.filter).toEqual({ status: ['held'] });
    expect(result.data).toEqual({ messages: { edges: [{ node: { status: 'HELD' } }] } });
  });

  it('rejects a malformed date literal during validation with a clear message', async () => {
    const messages = new InMemoryMessageReadModel([aMessage()]);
    const result = await execute(messages, '{ messages(filter: { receivedAfter: "yesterday" }) { totalCount } }');
    expect(result.data).toBeUndefined();
    expect(result.errors?.[0]?.message).toContain(
      'DateTime must be an ISO-8601 date-time with a time zone, e.g. "2026-11-20T09:30:00Z"; got "yesterday"',
    );
    expect(messages.listCalls).toEqual([]);
  });

  it('rejects a malformed date variable before executing', async () => {
    const messages = new InMemoryMessageReadModel([aMessage()]);
    const result = await execute(messages, listQuery, { filter: { receivedBefore: '2026-02-30T00:00:00Z' } });
    expect(result.data).toBeUndefined();
    expect(result.errors?.[0]?.message).toMatch(/^Variable "\$filter" got invalid value .*DateTime must be an ISO-8601/);
    expect(messages.listCalls).toEqual([]);
  });
});
