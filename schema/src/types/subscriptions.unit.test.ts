import { parse, subscribe, type ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { Context, Viewer } from '../builder.js';
import type { EventRecord } from '../event-log.js';
import { buildSchema } from '../index.js';
import { aMessage } from '../testing/fixtures.js';
import { StaticEventFeed } from '../testing/live-fakes.js';

const MINE = '0190f3c2-0000-7000-8000-000000000001';
const OTHER = '0190f3c2-0000-7000-8000-000000000002';

const anEventRecord = (overrides: Partial<EventRecord>): EventRecord => ({
  position: '1/1', stream: `message-${MINE}`, version: 1, type: 'MessageAccepted', schemaVersion: 2, recordedAt: '2026-11-20T09:30:00.000Z',
  data: { messageId: MINE }, metadata: { actor: 'api-key:k1', correlationId: MINE, causationId: null, node: 'n1', prevHash: '0', hash: 'h' },
  ...overrides,
});

const events = [
  anEventRecord({ position: '1/1' }),
  anEventRecord({ position: '1/2', stream: 'session-s1', type: 'SessionStarted', data: {} }),
  anEventRecord({ position: '1/3', stream: `message-${OTHER}`, data: { messageId: OTHER } }),
];

/** Runs a subscription against a static feed and collects everything it yields until it ends. */
const collect = async (source: string, viewer: Viewer, feed = new StaticEventFeed(events, [aMessage({ id: MINE })], { [MINE]: 'api-key:k1', [OTHER]: 'api-key:k9' })) => {
  const contextValue: Partial<Context> = { viewer, events: feed };
  const result = await subscribe({ schema: buildSchema(), document: parse(source), contextValue });
  if (!(Symbol.asyncIterator in result)) throw new Error(JSON.stringify(result));
  const items: ExecutionResult[] = [];
  for await (const item of result) items.push(item);
  return { items: items.map((i) => { expect(i.errors).toBeUndefined(); return (i.data as Record<string, Record<string, unknown>>); }), feed };
};

const EVENTS = (args: string) => `subscription { eventAppended${args} { __typename ... on EventAppendedSuccess { event { position stream type } }
  ... on Error { code } ... on InvalidInputError { field } } }`;

describe('eventAppended', () => {
  it('delivers the events of the feed to the roles that read everything, passing the filter and position on', async () => {
    const { items, feed } = await collect(EVENTS('(filter: { types: ["MessageAccepted"], streamPrefix: "message-" }, after: "1/0")'), { id: 'o', role: 'operator' });
    expect(items.map((i) => (i['eventAppended']!['event'] as { position: string }).position)).toEqual(['1/1', '1/3']);
    expect(feed.calls).toEqual([{ after: '1/0', filter: { types: ['MessageAccepted'], streamPrefix: 'message-' } }]);
  });

  it("gives an integrator the events of a message it sent, by the message's stream", async () => {
    const { items, feed } = await collect(EVENTS(`(filter: { messageId: "${MINE}" })`), { id: 'k1', role: 'integrator' });
    expect(items.map((i) => i['eventAppended'])).toEqual([
      { __typename: 'EventAppendedSuccess', event: { position: '1/1', stream: `message-${MINE}`, type: 'MessageAccepted' } },
    ]);
    expect(feed.calls).toEqual([{ after: null, filter: { stream: `message-${MINE}` } }]);
  });

  it.each([
    ['without a message id', ''],
    ["for another key's message", `(filter: { messageId: "${OTHER}" })`],
    ['for a message that does not exist', '(filter: { messageId: "0190f3c2-0000-7000-8000-0000000000ff" })'],
  ])('refuses an integrator %s with a typed error, and opens no feed', async (_name, args) => {
    const { items, feed } = await collect(EVENTS(args), { id: 'k1', role: 'integrator' });
    expect(items).toEqual([{ eventAppended: { __typename: 'ForbiddenError', code: 'FORBIDDEN' } }]);
    expect(feed.calls).toEqual([]);
  });

  it('refuses a message id that is not one', async () => {
    const { items } = await collect(EVENTS('(filter: { messageId: "nope" })'), { id: 'a', role: 'admin' });
    expect(items).toEqual([{ eventAppended: { __typename: 'InvalidInputError', code: 'INVALID_MESSAGE_ID', field: 'filter.messageId' } }]);
  });
});

const UPDATES = (id: string) => `subscription { messageUpdated(id: "${id}") { __typename ... on Message { id status } ... on Error { code } } }`;

describe('messageUpdated', () => {
  it('delivers the message to its sender and to readers', async () => {
    for (const viewer of [{ id: 'k1', role: 'integrator' }, { id: 'x', role: 'auditor' }] as const) {
      const { items } = await collect(UPDATES(MINE), viewer);
      expect(items).toEqual([{ messageUpdated: { __typename: 'Message', id: MINE, status: 'QUEUED' } }]);
    }
  });

  it("refuses another key's message to an integrator, and reports an unknown message to a reader", async () => {
    expect((await collect(UPDATES(OTHER), { id: 'k1', role: 'integrator' })).items)
      .toEqual([{ messageUpdated: { __typename: 'ForbiddenError', code: 'FORBIDDEN' } }]);
    expect((await collect(UPDATES('0190f3c2-0000-7000-8000-0000000000ff'), { id: 'a', role: 'admin' })).items)
      .toEqual([{ messageUpdated: { __typename: 'DomainError', code: 'MESSAGE_NOT_FOUND' } }]);
  });
});
