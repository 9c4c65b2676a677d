import { describe, expect, it } from 'vitest';
import { messageAccepted, sessionStarted } from '@elemta/domain';
import type { Viewer } from '../builder.js';
import type { EventRecord } from '../event-log.js';
import { execute } from '../testing/fixtures.js';
import { aRecord, InMemoryEventLog } from '../testing/in-memory-event-log.js';
import { InMemoryMessageReadModel } from '../testing/in-memory-message-read-model.js';

const id1 = '0190f3c2-0000-7000-8000-000000000001';
const id2 = '0190f3c2-0000-7000-8000-000000000002';
const sessionId = '0190f3c1-0000-7000-8000-000000000001';
const integrator: Viewer = { id: 'app1', role: 'integrator' };

const accepted = (messageId: string) => messageAccepted({
  messageId, sessionId, envelope: { mailFrom: 'alice@example.org', rcptTo: ['bob@example.net'], params: {} }, sizeBytes: 10,
  bodySha256: 'a'.repeat(64), bodyRef: 'a'.repeat(64), headers: { from: null, to: null, subject: 'Hi', messageId: null, date: null },
  authentication: null, client: null, listener: 'api', authUser: null, tls: null, annotations: {}, acceptedAt: '2026-11-20T09:30:00.000Z',
});

const record = (position: string, stream: string, version: number, event: { type: string; schemaVersion: number; data: unknown }, actor = 'smtp:192.0.2.10'): EventRecord =>
  aRecord({ ...event, position, stream, version, metadata: { ...aRecord({ type: 'x', data: null }).metadata, actor } });

/** Global order: session start, message 1 by key app1, a queued event of message 1, message 2 by SMTP. */
const log = (): InMemoryEventLog => new InMemoryEventLog([
  record('1/1', `session-${sessionId}`, 1, sessionStarted({
    sessionId, listener: 'mx', client: { address: '192.0.2.10', port: 1025, reverseDns: null, helo: null },
    localAddress: '127.0.0.1', localPort: 2525, tls: null, startedAt: '2026-11-20T09:29:59.000Z',
  })),
  record('1/2', `message-${id1}`, 1, accepted(id1), 'api-key:app1'),
  record('2/3', `message-${id1}`, 2, { type: 'MessageQueued', schemaVersion: 1, data: { messageId: id1, recipients: [], queuedAt: '2026-11-20T09:30:00.000Z' } }, 'api-key:app1'),
  record('3/4', `message-${id2}`, 1, accepted(id2)),
]);

const EVENTS = `query ($stream: String, $fromPosition: String, $types: [String!], $first: Int, $after: String) {
  events(stream: $stream, fromPosition: $fromPosition, types: $types, first: $first, after: $after) {
    __typename
    ... on EventConnection { edges { cursor node { position stream type } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }
    ... on Error { code message }
  }
}`;

const run = (variables: Record<string, unknown>, eventLog = log(), viewer?: Viewer) =>
  execute(new InMemoryMessageReadModel([]), EVENTS, variables, viewer, eventLog);

const positions = (result: Awaited<ReturnType<typeof run>>): string[] =>
  (result.data?.events as { edges: { cursor: string }[] }).edges.map((e) => e.cursor);

describe('Query.events over the whole log', () => {
  it('returns a page in global order, asking for one more event to know whether another page follows', async () => {
    const eventLog = log();
    const result = await run({ first: 2 }, eventLog);
    expect(result.errors).toBeUndefined();
    expect(eventLog.readAllCalls).toEqual([{ after: null, limit: 3 }]);
    expect(result.data?.events).toEqual({
      __typename: 'EventConnection',
      edges: [
        { cursor: '1/1', node: { position: '1/1', stream: `session-${sessionId}`, type: 'SessionStarted' } },
        { cursor: '1/2', node: { position: '1/2', stream: `message-${id1}`, type: 'MessageAccepted' } },
      ],
      pageInfo: { hasNextPage: true, hasPreviousPage: false, startCursor: '1/1', endCursor: '1/2' },
    });
  });

  it('continues after the cursor, and the last page says there is no next one', async () => {
    const result = await run({ first: 2, after: '1/2' });
    expect(positions(result)).toEqual(['2/3', '3/4']);
    expect(result.data?.events).toMatchObject({ pageInfo: { hasNextPage: false, hasPreviousPage: true, endCursor: '3/4' } });
  });

  it('starts after fromPosition (exclusive), and after wins when both are given', async () => {
    expect(positions(await run({ fromPosition: '1/1' }))).toEqual(['1/2', '2/3', '3/4']);
    expect(positions(await run({ fromPosition: '1/1', after: '2/3' }))).toEqual(['3/4']);
  });

  it('passes types to the log; an empty list means all types', async () => {
    const eventLog = log();
    expect(positions(await run({ types: ['MessageAccepted'] }, eventLog))).toEqual(['1/2', '3/4']);
    await run({ types: [] }, eventLog);
    expect(eventLog.readAllCalls).toEqual([{ after: null, limit: 26, types: ['MessageAccepted'] }, { after: null, limit: 26 }]);
  });

  it.each([0, 501])('rejects first = %i as BAD_USER_INPUT', async (first) => {
    const result = await run({ first });
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'PAGE_SIZE_OUT_OF_RANGE' });
  });

  it('accepts pages of up to 500 events', async () => {
    const eventLog = log();
    await run({ first: 500 }, eventLog);
    expect(eventLog.readAllCalls[0]?.limit).toBe(501);
  });

  it("turns the log's refusal of a position into BAD_USER_INPUT", async () => {
    const result = await run({ after: 'nowhere' });
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' });
  });

  it('is forbidden to integrator keys, as a typed error', async () => {
    const eventLog = log();
    const result = await run({}, eventLog, integrator);
    expect(result.data?.events).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    expect(eventLog.readAllCalls).toEqual([]);
  });
});

describe('Query.events of one stream', () => {
  it('returns the stream in stream order, with the data of each event type as typed fields', async () => {
    const result = await execute(new InMemoryMessageReadModel([]), `query { events(stream: "message-${id1}") {
      ... on EventConnection { edges { node { version type actor
        ... on MessageAcceptedEvent { messageId sessionId envelope { mailFrom rcptTo } headers { subject } }
        ... on MessageQueuedEvent { queuedAt } } } } } }`, {}, undefined, log());
    expect(result.errors).toBeUndefined();
    expect(result.data?.events).toEqual({ edges: [
      { node: { version: 1, type: 'MessageAccepted', actor: 'api-key:app1', messageId: id1, sessionId, envelope: { mailFrom: 'alice@example.org', rcptTo: ['bob@example.net'] }, headers: { subject: 'Hi' } } },
      { node: { version: 2, type: 'MessageQueued', actor: 'api-key:app1', queuedAt: '2026-11-20T09:30:00.000Z' } },
    ] });
  });

  it('pages within the stream by position and filters by type', async () => {
    expect(positions(await run({ stream: `message-${id1}`, first: 1 }))).toEqual(['1/2']);
    expect(positions(await run({ stream: `message-${id1}`, after: '1/2' }))).toEqual(['2/3']);
    expect(positions(await run({ stream: `message-${id1}`, types: ['MessageQueued'] }))).toEqual(['2/3']);
  });

  it('is empty for a stream that does not exist', async () => {
    expect(positions(await run({ stream: 'message-0190f3c2-0000-7000-8000-0000000000ff' }))).toEqual([]);
  });

  it('rejects a cursor that is not in the stream and a malformed stream name as BAD_USER_INPUT', async () => {
    expect((await run({ stream: `message-${id1}`, after: '3/4' })).errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' });
    expect((await run({ stream: 'no stream' })).errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_STREAM' });
  });

  it('lets an integrator read the stream of a message it submitted, and nothing else', async () => {
    expect(positions(await run({ stream: `message-${id1}` }, log(), integrator))).toEqual(['1/2', '2/3']);
    for (const stream of [`message-${id2}`, `session-${sessionId}`, 'message-0190f3c2-0000-7000-8000-0000000000ff']) {
      expect((await run({ stream }, log(), integrator)).data?.events).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    }
  });

  it('serves an event type it does not know as GenericEvent with its raw data', async () => {
    const eventLog = new InMemoryEventLog([record('9/9', 'admin-future', 1, { type: 'FutureHappened', schemaVersion: 1, data: { x: 1 } })]);
    const result = await execute(new InMemoryMessageReadModel([]), '{ events(stream: "admin-future") { ... on EventConnection { edges { node { __typename type data } } } } }', {}, undefined, eventLog);
    expect(result.data?.events).toEqual({ edges: [{ node: { __typename: 'GenericEvent', type: 'FutureHappened', data: { x: 1 } } }] });
  });
});
