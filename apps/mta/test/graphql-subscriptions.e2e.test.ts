import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { asGlobalPosition } from '@elemta/domain';
import { loadConfig } from '@elemta/infra/config';
import { PostgresEventStore } from '@elemta/infra/event-store-pg';
import { createLogger } from '@elemta/infra/logger';
import { createPool, type Pool } from '@elemta/infra/postgres';
import { createTestDatabase, eventually, freePort, graphqlRequest } from '@elemta/infra/testing';
import { ApiKeys } from '../src/auth/api-keys.js';
import { startElemta, type RunningElemta } from '../src/index.js';
import { subscribeSse, type SseSubscription } from './support/sse-client.js';

const HEADER_CHECKS = fileURLToPath(new URL('../examples/plugins/header-checks.plugin.mjs', import.meta.url));

let elemta: RunningElemta;
let dataDir: string;
let pool: Pool;
let store: PostgresEventStore;
const keys = { admin: '', integrator: '' };
const open: SseSubscription<any>[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'elemta-subscriptions-'));
  writeFileSync(join(dataDir, 'elemta.yaml'), JSON.stringify({
    smtp: { disableReverseLookup: true },
    policy: { plugins: [{ name: 'header-checks', module: HEADER_CHECKS, config: { rules: [{ header: 'X-Mailer', pattern: '^MassMailer', action: 'quarantine' }] } }] },
  }));
  // capture mode with workers on (the defaults of `npm start`): each accepted message is delivered at once
  const config = loadConfig({
    ELEMTA_CONFIG: join(dataDir, 'elemta.yaml'), ELEMTA_DATA_DIR: dataDir, DATABASE_URL: await createTestDatabase(inject('postgresUrl')),
    ELEMTA_SMTP_PORT: String(await freePort()), ELEMTA_SUBMISSION_PORT: '0', ELEMTA_HTTP_PORT: String(await freePort()),
    ELEMTA_NODE_NAME: 'e2e', ELEMTA_HOSTNAME: 'mx.elemta.test',
  });
  elemta = await startElemta(config, createLogger({ level: 'silent', node: 'e2e' }));
  keys.admin = readFileSync(join(dataDir, 'admin.key'), 'utf8').trim();
  pool = createPool(elemta.databaseUrl);
  store = new PostgresEventStore({ pool, listenUrl: elemta.databaseUrl });
  keys.integrator = (await new ApiKeys(pool, store, 'system:test@e2e', 'e2e').create({ name: 'app', role: 'integrator', actor: 'system:test@e2e' })).key;
});

afterEach(() => {
  for (const sub of open.splice(0)) sub.close();
});

afterAll(async () => {
  await store?.close();
  await pool?.end();
  await elemta?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

type LoggedEvent = { position: string; stream: string; type: string; actor: string };
type EventResult = { eventAppended: { __typename: string; event?: LoggedEvent; code?: string } };
type MessageResult = { messageUpdated: { __typename: string; id?: string; status?: string; code?: string } };

const EVENTS = `subscription ($filter: EventAppendedFilter, $after: String) { eventAppended(filter: $filter, after: $after) {
  __typename ... on EventAppendedSuccess { event { position stream type actor } } ... on Error { code } } }`;
const UPDATES = `subscription ($id: ID!) { messageUpdated(id: $id) { __typename ... on Message { id status } ... on Error { code } } }`;

const subscribe = async <T>(key: string, query: string, variables: Record<string, unknown>): Promise<SseSubscription<T>> => {
  const sub = await subscribeSse<T>(elemta.ports.http, key, query, variables);
  open.push(sub);
  expect(sub.status).toBe(200);
  expect(sub.contentType).toMatch(/^text\/event-stream/);
  return sub;
};

const nextEvent = async (sub: SseSubscription<EventResult>): Promise<LoggedEvent> => {
  const result = await sub.next();
  expect(result?.errors).toBeUndefined();
  const payload = result!.data!.eventAppended;
  expect(payload.__typename, JSON.stringify(payload)).toBe('EventAppendedSuccess');
  return payload.event!;
};

/** Reads events until one of `type` in `stream` arrives; returns everything read. */
const readUntil = async (sub: SseSubscription<EventResult>, stream: string, type: string): Promise<LoggedEvent[]> => {
  const seen: LoggedEvent[] = [];
  for (;;) {
    const event = await nextEvent(sub);
    seen.push(event);
    if (event.stream === stream && event.type === type) return seen;
  }
};

const sendSmtp = async (subject: string, headers: Record<string, string> = {}): Promise<string> => {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: elemta.ports.smtp, secure: false, ignoreTLS: true });
  try {
    const info = await transport.sendMail({ from: 'alice@example.org', to: 'bob@example.net', subject, text: 'for the subscriptions test', headers });
    return /queued as ([0-9a-f-]{36})$/.exec(info.response)![1]!;
  } finally {
    transport.close();
  }
};

const gql = async <T>(key: string, query: string, variables: Record<string, unknown> = {}): Promise<T> => {
  const { body } = await graphqlRequest<T>(elemta.ports.http, key, query, variables);
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return body.data!;
};

const statusOf = async (id: string): Promise<string | undefined> =>
  (await gql<{ message: { status: string } | null }>(keys.admin, 'query ($id: ID!) { message(id: $id) { status } }', { id })).message?.status;

const DELIVERED_MESSAGE = ['MessageAccepted', 'MessageQueued', 'DeliveryAttempted', 'RecipientDelivered'];

describe('eventAppended over SSE', () => {
  let lastSeen: string;

  it('delivers the events of a message sent over SMTP while subscribed, in log order', async () => {
    const sub = await subscribe<EventResult>(keys.admin, EVENTS, { filter: { streamPrefix: 'message-' } });
    const id = await sendSmtp('first');
    const stream = `message-${id}`;
    const seen = (await readUntil(sub, stream, 'RecipientDelivered')).filter((e) => e.stream === stream);
    expect(seen.map((e) => e.type)).toEqual(DELIVERED_MESSAGE);
    expect(seen[0]!.actor).toBe('smtp:127.0.0.1');
    const logged = (await store.readStream(stream as never)).events;
    expect(seen.map((e) => e.position)).toEqual(logged.map((e) => e.metadata.position));
    lastSeen = seen.at(-1)!.position;
  });

  it('resumed from the last position seen, delivers exactly what was missed, then live events', async () => {
    // while nobody listens: a message is accepted and delivered
    const missedId = await sendSmtp('sent while disconnected');
    await eventually(async () => ((await statusOf(missedId)) === 'DELIVERED' ? true : undefined));
    const missed = (await store.readAll({ after: asGlobalPosition(lastSeen), limit: 1000 })).filter((e) => e.metadata.stream.startsWith('message-'));
    expect(missed.filter((e) => e.metadata.stream === `message-${missedId}`).map((e) => e.type)).toEqual(DELIVERED_MESSAGE);

    const sub = await subscribe<EventResult>(keys.admin, EVENTS, { filter: { streamPrefix: 'message-' }, after: lastSeen });
    const replayed: LoggedEvent[] = [];
    for (const _ of missed) replayed.push(await nextEvent(sub));
    expect(replayed.map((e) => [e.position, e.stream, e.type])).toEqual(missed.map((e) => [e.metadata.position, e.metadata.stream, e.type]));

    const liveId = await sendSmtp('sent after resuming');
    const live = await readUntil(sub, `message-${liveId}`, 'RecipientDelivered');
    expect(live.map((e) => e.type)).toEqual(DELIVERED_MESSAGE); // nothing repeated, nothing else in between
    const positions = [...replayed, ...live].map((e) => e.position);
    expect(new Set(positions).size).toBe(positions.length);
  });

  it('filters by event type', async () => {
    const sub = await subscribe<EventResult>(keys.admin, EVENTS, { filter: { types: ['RecipientDelivered'] } });
    const id = await sendSmtp('only deliveries');
    // without `after` the feed starts at the views' position: a delivery of the test before may still come first
    const seen = await readUntil(sub, `message-${id}`, 'RecipientDelivered');
    expect(seen.every((e) => e.type === 'RecipientDelivered')).toBe(true);
  });

  it('refuses a position the log did not produce as a typed error, then ends', async () => {
    const sub = await subscribe<EventResult>(keys.admin, EVENTS, { after: 'not-a-position' });
    expect((await sub.next())!.data).toEqual({ eventAppended: { __typename: 'DomainError', code: 'INVALID_CURSOR' } });
    expect(await sub.next()).toBeNull();
  });

  it('answers 401 without a valid key', async () => {
    const sub = await subscribeSse(elemta.ports.http, 'elemta_0000000000000000_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', EVENTS);
    open.push(sub);
    expect(sub.status).toBe(401);
  });
});

describe('messageUpdated over SSE', () => {
  it('sends the message as it is, then again as it changes: held, released, delivered', async () => {
    const id = await sendSmtp('quarantined', { 'X-Mailer': 'MassMailer 2.0' });
    const sub = await subscribe<MessageResult>(keys.admin, UPDATES, { id });
    expect((await sub.next())!.data).toEqual({ messageUpdated: { __typename: 'Message', id, status: 'HELD' } });
    const released = await gql<{ releaseMessages: { changed: number } }>(keys.admin,
      'mutation ($id: ID!) { releaseMessages(input: { messageIds: [$id] }) { ... on QueueActionPayload { changed } } }', { id });
    expect(released.releaseMessages.changed).toBe(1);
    const statuses: string[] = [];
    while (statuses.at(-1) !== 'DELIVERED') statuses.push((await sub.next())!.data!.messageUpdated.status!);
    expect(statuses[0]).not.toBe('HELD');
    expect(new Set(statuses).size).toBe(statuses.length); // an unchanged view is not sent again
  });
});

describe('subscriptions for integrator keys', () => {
  const SEND = `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { ... on SendMessagePayload { messageId } ... on Error { code } } }`;

  it("refuses someone else's message, and the whole log, with a typed error", async () => {
    const id = await sendSmtp('not the integrator’s');
    const updates = await subscribe<MessageResult>(keys.integrator, UPDATES, { id });
    expect((await updates.next())!.data).toEqual({ messageUpdated: { __typename: 'ForbiddenError', code: 'FORBIDDEN' } });
    expect(await updates.next()).toBeNull();
    for (const filter of [{ messageId: id }, {}, { streamPrefix: 'message-' }]) {
      const events = await subscribe<EventResult>(keys.integrator, EVENTS, { filter });
      expect((await events.next())!.data).toEqual({ eventAppended: { __typename: 'ForbiddenError', code: 'FORBIDDEN' } });
      expect(await events.next()).toBeNull();
    }
  });

  it('follows a message it sent itself', async () => {
    const raw = 'From: app@example.org\r\nTo: carol@example.net\r\nX-Mailer: MassMailer 2.0\r\nSubject: held for review\r\n\r\nHi.\r\n';
    const { sendMessage } = await gql<{ sendMessage: { messageId: string } }>(keys.integrator, SEND, { input: { raw } });
    const id = sendMessage.messageId;
    const updates = await subscribe<MessageResult>(keys.integrator, UPDATES, { id });
    expect((await updates.next())!.data).toEqual({ messageUpdated: { __typename: 'Message', id, status: 'HELD' } });
    const events = await subscribe<EventResult>(keys.integrator, EVENTS, { filter: { messageId: id } });
    await gql(keys.admin, 'mutation ($id: ID!) { releaseMessages(input: { messageIds: [$id] }) { __typename } }', { id });
    const seen = await readUntil(events, `message-${id}`, 'RecipientDelivered');
    expect(seen.map((e) => e.type)).toEqual(['MessageReleased', 'DeliveryAttempted', 'RecipientDelivered']);
  });
});
