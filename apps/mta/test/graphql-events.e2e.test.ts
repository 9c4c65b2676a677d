import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '@elemta/infra/config';
import { PostgresEventStore } from '@elemta/infra/event-store-pg';
import { createLogger } from '@elemta/infra/logger';
import { createPool, type Pool } from '@elemta/infra/postgres';
import {
  createTestDatabase, eventually, freePort, graphqlRequest, mailAuthZones, spfRecord, startTestDnsServer, type TestDnsServer,
} from '@elemta/infra/testing';
import { ApiKeys } from '../src/auth/api-keys.js';
import { startElemta, type RunningElemta } from '../src/index.js';

let elemta: RunningElemta;
let dataDir: string;
let pool: Pool;
let store: PostgresEventStore;
let dns: TestDnsServer;
const keys: Record<'admin' | 'auditor' | 'operator' | 'integrator', string> = { admin: '', auditor: '', operator: '', integrator: '' };

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'elemta-events-'));
  // example.org publishes SPF for loopback; email-auth checks our loopback client too, so each message gets results and a verdict
  dns = await startTestDnsServer(mailAuthZones({ domain: 'example.org', spf: spfRecord(['ip4:127.0.0.0/8']), dmarc: { p: 'none' } }));
  writeFileSync(join(dataDir, 'elemta.yaml'), JSON.stringify({
    delivery: { dns: { servers: [dns.address], timeout: 2 } },
    policy: { plugins: [{ name: 'email-auth', config: { verifyTrusted: true } }, { name: 'default-headers' }] },
  }));
  // otherwise the defaults of `npm start` (capture mode, workers on): each message gets a delivery attempt
  const config = loadConfig({
    ELEMTA_CONFIG: join(dataDir, 'elemta.yaml'), ELEMTA_DATA_DIR: dataDir, DATABASE_URL: await createTestDatabase(inject('postgresUrl')), ELEMTA_SMTP_PORT: String(await freePort()),
    ELEMTA_SUBMISSION_PORT: '0', ELEMTA_HTTP_PORT: String(await freePort()), ELEMTA_NODE_NAME: 'e2e', ELEMTA_HOSTNAME: 'mx.elemta.test',
  });
  elemta = await startElemta({ ...config, smtp: { ...config.smtp, disableReverseLookup: true } }, createLogger({ level: 'silent', node: 'e2e' }));
  keys.admin = readFileSync(join(dataDir, 'admin.key'), 'utf8').trim();
  // keys of the other roles, made the way `elemta keys create` does
  pool = createPool(elemta.databaseUrl);
  store = new PostgresEventStore({ pool, listenUrl: elemta.databaseUrl });
  const apiKeys = new ApiKeys(pool, store, 'system:test@e2e', 'e2e');
  for (const role of ['auditor', 'operator', 'integrator'] as const) {
    keys[role] = (await apiKeys.create({ name: `${role} key`, role, actor: 'system:test@e2e' })).key;
  }
});

afterAll(async () => {
  await store?.close();
  await pool?.end();
  await elemta?.stop();
  await dns?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

type Role = keyof typeof keys;

const gql = async <T>(query: string, variables: Record<string, unknown> = {}, role: Role = 'admin'): Promise<T> => {
  const { status, body } = await graphqlRequest<T>(elemta.ports.http, keys[role], query, variables);
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  expect(status).toBe(200);
  return body.data!;
};

const send = async (subject: string): Promise<string> => {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: elemta.ports.smtp, secure: false, ignoreTLS: true });
  const info = await transport.sendMail({ from: 'dev@example.org', to: ['a@example.com', 'b@example.net'], subject, text: 'for the events test' });
  transport.close();
  return /queued as ([0-9a-f-]{36})$/.exec(info.response)![1]!;
};

type Node = { position: string; stream: string; version: number; type: string };
type Page = { __typename: string; edges: Array<{ cursor: string; node: Node }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

const EVENTS = `query ($stream: String, $types: [String!], $first: Int, $after: String) {
  events(stream: $stream, types: $types, first: $first, after: $after) {
    __typename
    ... on EventConnection { edges { cursor node { position stream version type } } pageInfo { hasNextPage endCursor } }
    ... on Error { code message }
  } }`;

const events = async (variables: Record<string, unknown>, role: Role = 'admin') => (await gql<{ events: Page }>(EVENTS, variables, role)).events;

/** Every page from the start, `first` at a time. */
const pageThrough = async (first: number, variables: Record<string, unknown> = {}): Promise<Node[]> => {
  const nodes: Node[] = [];
  let after: string | null = null;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await events({ ...variables, first, after });
    nodes.push(...page.edges.map((e) => e.node));
    if (!page.pageInfo.hasNextPage) return nodes;
    after = page.pageInfo.endCursor;
  }
  throw new Error('too many pages');
};

const MESSAGE = `query ($id: ID!) { message(id: $id) {
  status sessionId
  authentication { spf { result detail } dkim { result detail } dmarc { result detail } arc { result detail } }
  headers { subject from }
  deliveryAttempts { attemptId recipients zone mxHost mxAddress tls { protocol } reply { code command } durationMs outcome at }
  policyVerdicts { stage plugin verdict reason reply { code } at }
  recipients { address priority attempts nextAttemptAt lastReply { code } }
} }`;

describe('the event log and sessions through GraphQL, end to end', () => {
  const ids: string[] = [];
  let sessionId: string;

  it('accepts two messages over SMTP and delivers them (capture)', async () => {
    ids.push(await send('first'), await send('second'));
    for (const id of ids) {
      await eventually(async () => ((await gql<{ message: { status: string } | null }>(MESSAGE, { id })).message?.status === 'DELIVERED' ? true : undefined));
    }
    sessionId = (await gql<{ message: { sessionId: string } }>(MESSAGE, { id: ids[0] })).message.sessionId;
    // the session's last event is appended after QUIT, a moment after the 250
    await eventually(async () => ((await events({ stream: `session-${sessionId}`, types: ['SessionEnded'] })).edges.length === 1 ? true : undefined));
  });

  it('pages through the whole log in order, with no gaps and no duplicates', async () => {
    const before = (await events({ first: 500 })).edges.map((e) => e.node);
    const paged = await pageThrough(3);
    const after = (await events({ first: 500 })).edges.map((e) => e.node);
    // The log only grows (a late event may become visible meanwhile), and what was seen never moves.
    expect(paged.slice(0, before.length)).toEqual(before);
    expect(after.slice(0, paged.length)).toEqual(paged);
    expect(after.length).toBeLessThan(500);
    expect(new Set(paged.map((n) => n.position)).size).toBe(paged.length);
    for (const id of ids) expect(paged.filter((n) => n.stream === `message-${id}`).map((n) => n.version)).toEqual(
      paged.filter((n) => n.stream === `message-${id}`).map((_, i) => i + 1));
    expect(paged.some((n) => n.type === 'ApiKeyCreated')).toBe(true);
    expect(paged.filter((n) => n.type === 'SessionStarted').length).toBeGreaterThanOrEqual(2);
  });

  it('filters by type', async () => {
    const accepted = await pageThrough(1, { types: ['MessageAccepted'] });
    expect(accepted.map((n) => n.stream)).toEqual(ids.map((id) => `message-${id}`));
    const some = await events({ types: ['MessageAccepted', 'RecipientDelivered'], first: 500 });
    expect(new Set(some.edges.map((e) => e.node.type))).toEqual(new Set(['MessageAccepted', 'RecipientDelivered']));
    expect(some.edges).toHaveLength(2 + 4);
  });

  it("gives one message's stream in stream order, with typed fields per event type", async () => {
    const { events: page } = await gql<{ events: { edges: Array<{ node: any }> } }>(`query ($stream: String) { events(stream: $stream) {
      ... on EventConnection { edges { node { version type stream actor hash prevHash
        ... on MessageAcceptedEvent { messageId envelope { mailFrom rcptTo } headers { subject } client { address } }
        ... on RecipientDeliveredEvent { recipient reply { code command } }
        ... on DeliveryAttemptedEvent { outcome recipients } } } } } }`, { stream: `message-${ids[0]}` });
    const nodes = page.edges.map((e) => e.node);
    expect(nodes.map((n) => n.version)).toEqual(nodes.map((_, i) => i + 1));
    expect(nodes[0]).toMatchObject({
      type: 'MessageAccepted', stream: `message-${ids[0]}`, actor: 'smtp:127.0.0.1', prevHash: '0'.repeat(64), messageId: ids[0],
      envelope: { mailFrom: 'dev@example.org', rcptTo: ['a@example.com', 'b@example.net'] }, headers: { subject: 'first' }, client: { address: '127.0.0.1' },
    });
    for (let i = 1; i < nodes.length; i++) expect(nodes[i].prevHash).toBe(nodes[i - 1].hash);
    expect(nodes.filter((n) => n.type === 'RecipientDelivered').map((n) => [n.recipient, n.reply.command]))
      .toEqual([['a@example.com', 'CAPTURE'], ['b@example.net', 'CAPTURE']]);
  });

  it('folds the SMTP session: its client, its end, and the message it carried', async () => {
    const { session } = await gql<{ session: any }>(`query ($id: ID!) { session(id: $id) {
      __typename ... on Session { id listener client { address helo } startedAt endedAt endReason counts { messagesAccepted } events { type } } } }`,
    { id: sessionId });
    expect(session).toMatchObject({
      __typename: 'Session', id: sessionId, listener: expect.any(String), client: { address: '127.0.0.1', helo: expect.any(String) },
      endReason: expect.stringMatching(/^(QUIT|CLOSED)$/), counts: { messagesAccepted: 1 }, // nodemailer may close without QUIT
    });
    expect(session.events[0].type).toBe('SessionStarted');
    expect(session.events.at(-1).type).toBe('SessionEnded');
    expect((await gql<{ session: null }>('query { session(id: "0190f3c1-0000-7000-8000-0000000000ff") { __typename } }')).session).toBeNull();
  });

  it('shows delivery attempts, policy verdicts and authentication results of a message, as its events recorded them', async () => {
    const { message } = await gql<{ message: any }>(MESSAGE, { id: ids[0] });
    const { events: stream } = await gql<{ events: { edges: Array<{ node: { type: string; data: any } }> } }>(
      'query ($stream: String) { events(stream: $stream) { ... on EventConnection { edges { node { type data } } } } }', { stream: `message-${ids[0]}` });
    const dataOf = (type: string) => stream.edges.filter((e) => e.node.type === type).map((e) => e.node.data);
    expect(message.sessionId).toBe(sessionId);
    expect(message.headers).toEqual({ subject: 'first', from: 'dev@example.org' });
    expect(message.authentication).toEqual(dataOf('MessageAccepted')[0].authentication);
    expect(message.authentication.spf).toMatchObject({ result: 'pass' });
    expect(message.policyVerdicts).toEqual([expect.objectContaining({ stage: 'DATA', plugin: 'email-auth', verdict: 'TAG', reply: null })]);
    expect(message.deliveryAttempts).toHaveLength(dataOf('DeliveryAttempted').length);
    expect(message.deliveryAttempts[0]).toMatchObject({ attemptId: dataOf('DeliveryAttempted')[0].attemptId, outcome: 'DELIVERED', reply: { code: 250, command: 'CAPTURE' } });
    expect(message.policyVerdicts.map((v: { plugin: string }) => v.plugin)).toEqual(dataOf('PolicyEvaluated').map((d) => d.plugin));
    expect(message.recipients).toEqual([
      { address: 'a@example.com', priority: 'NORMAL', attempts: 1, nextAttemptAt: null, lastReply: { code: 250 } },
      { address: 'b@example.net', priority: 'NORMAL', attempts: 1, nextAttemptAt: null, lastReply: { code: 250 } },
    ]);
  });

  it('lets auditors and operators read the log and sessions', async () => {
    for (const role of ['auditor', 'operator'] as const) {
      expect((await events({ first: 1 }, role)).__typename).toBe('EventConnection');
      expect((await gql<{ session: { __typename: string } }>('query ($id: ID!) { session(id: $id) { __typename } }', { id: sessionId }, role)).session)
        .toEqual({ __typename: 'Session' });
    }
  });

  it('refuses an integrator key the whole log, streams of messages it did not send, and sessions, as ForbiddenError', async () => {
    expect(await events({}, 'integrator')).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    expect(await events({ stream: `message-${ids[0]}` }, 'integrator')).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    const { session } = await gql<{ session: unknown }>(
      'query ($id: ID!) { session(id: $id) { __typename ... on Error { code } } }', { id: sessionId }, 'integrator');
    expect(session).toEqual({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
  });

  it('answers a position the log did not produce with BAD_USER_INPUT', async () => {
    const { body } = await graphqlRequest(elemta.ports.http, keys.admin, EVENTS, { after: 'not-a-position' });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' });
  });
});
