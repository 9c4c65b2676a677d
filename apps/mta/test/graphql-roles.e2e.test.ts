import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminStream } from '@elemta/domain';
import { loadConfig } from '@elemta/infra/config';
import { PostgresEventStore } from '@elemta/infra/event-store-pg';
import { createLogger } from '@elemta/infra/logger';
import { createPool, type Pool } from '@elemta/infra/postgres';
import { createTestDatabase, eventually, freePort, graphqlRequest } from '@elemta/infra/testing';
import { startElemta, type RunningElemta } from '../src/index.js';
import { postGraphqlBody } from './support/raw-http.js';

const ORIGIN = 'https://dash.example.test';
const ROLES = ['admin', 'operator', 'auditor', 'integrator'] as const;
type RoleName = (typeof ROLES)[number];

let elemta: RunningElemta;
let dataDir: string;
let pool: Pool;
let store: PostgresEventStore;
const keys: Record<RoleName | 'integrator2', string> = { admin: '', operator: '', auditor: '', integrator: '', integrator2: '' };
const idOf = (key: string) => key.split('_')[1]!;

type Body<T> = { data?: T | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };
const gql = async <T = Record<string, any>>(key: string | null, query: string, variables: Record<string, unknown> = {}) =>
  (await graphqlRequest<T>(elemta.ports.http, key, query, variables)) as { status: number; body: Body<T> };
/** A query that must succeed: its data. */
const data = async <T = Record<string, any>>(key: string, query: string, variables: Record<string, unknown> = {}): Promise<T> => {
  const { status, body } = await gql<T>(key, query, variables);
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  expect(status).toBe(200);
  return body.data!;
};

const CREATE_KEY = `mutation ($name: String!, $role: Role!) { createApiKey(input: { name: $name, role: $role }) {
  __typename ... on CreateApiKeyPayload { key apiKey { id name role createdAt revokedAt } } ... on Error { code message } } }`;
const REVOKE_KEY = `mutation ($id: ID!) { revokeApiKey(id: $id, reason: "test") {
  __typename ... on RevokeApiKeyPayload { apiKey { id revokedAt } } ... on Error { code message } } }`;
const createKey = async (role: string, name = `${role} key`): Promise<string> =>
  (await data(keys.admin, CREATE_KEY, { name, role: role.toUpperCase() })).createApiKey.key as string;

const smtp = () => nodemailer.createTransport({ host: '127.0.0.1', port: elemta.ports.smtp, secure: false, ignoreTLS: true, pool: true, maxConnections: 2 });
const queuedId = (response: string) => /queued as ([0-9a-f-]{36})$/.exec(response)![1]!;

const SEND = `mutation ($input: SendMessageInput!) { sendMessage(input: $input) {
  __typename ... on SendMessagePayload { messageId } ... on Error { code message } } }`;
const sendAs = async (key: string, subject: string): Promise<string> => {
  const input = { message: { from: 'App <app@integrator.test>', to: ['customer@example.net'], subject, text: 'sent through the API' } };
  const result = (await data(key, SEND, { input })).sendMessage;
  expect(result.__typename, JSON.stringify(result)).toBe('SendMessagePayload');
  return result.messageId as string;
};

const adminEvents = async (area: string) => (await store.readStream(adminStream(area))).events;

let smtpMessage: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'elemta-roles-'));
  const config = loadConfig({
    ELEMTA_DATA_DIR: dataDir, DATABASE_URL: await createTestDatabase(inject('postgresUrl')), ELEMTA_SMTP_PORT: String(await freePort()),
    ELEMTA_SUBMISSION_PORT: '0', ELEMTA_HTTP_PORT: String(await freePort()), ELEMTA_LOG_LEVEL: 'silent',
    ELEMTA_NODE_NAME: 'e2e', ELEMTA_HOSTNAME: 'mx.elemta.test', ELEMTA_DELIVERY_WORKERS: 'false', // mail stays queued
  });
  elemta = await startElemta({
    ...config, smtp: { ...config.smtp, disableReverseLookup: true }, http: { ...config.http, corsOrigins: [ORIGIN], maxBodySize: 1024 * 1024 },
  }, createLogger({ level: 'silent', node: 'e2e' }));
  keys.admin = readFileSync(join(dataDir, 'admin.key'), 'utf8').trim();
  pool = createPool(elemta.databaseUrl);
  store = new PostgresEventStore({ pool, listenUrl: elemta.databaseUrl });
  for (const role of ['operator', 'auditor', 'integrator'] as const) keys[role] = await createKey(role);
  keys.integrator2 = await createKey('integrator', 'second integrator');
  const transport = smtp();
  smtpMessage = queuedId((await transport.sendMail({ from: 'ops@example.org', to: 'bob@example.net', subject: 'over SMTP', text: 'x' })).response);
  transport.close();
  await eventually(async () => ((await data(keys.admin, '{ messages { totalCount } }')).messages.totalCount === 1 ? true : undefined));
});

afterAll(async () => {
  await store?.close();
  await pool?.end();
  await elemta?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('authentication', () => {
  it('answers a request without a valid key with nothing but an authentication error', async () => {
    const bogus = `elemta_${'0'.repeat(16)}_${'A'.repeat(43)}`;
    for (const key of [null, 'not-a-key', bogus]) {
      const { status, body } = await gql(key, '{ viewer { id role } messages { totalCount } }');
      expect(status).toBe(401);
      expect(body).toEqual({ errors: [{ message: expect.any(String), extensions: { code: 'UNAUTHENTICATED' } }] });
    }
    const get = await fetch(`http://127.0.0.1:${elemta.ports.http}/graphql?query=${encodeURIComponent('{ __schema { types { name } } }')}`);
    expect(get.status).toBe(401);
    expect(Object.keys(await get.json())).toEqual(['errors']);
  });

  it('shows a created key once, stores no secret, and records who created it', async () => {
    const { keys: listed } = (await data(keys.admin, '{ apiKeys { __typename ... on ApiKeyList { keys { id name role lastUsedAt revokedAt } } } }')).apiKeys;
    expect(listed.map((k: { id: string }) => k.id)).toEqual([keys.admin, keys.operator, keys.auditor, keys.integrator, keys.integrator2].map(idOf));
    expect(JSON.stringify(listed)).not.toContain(keys.operator.split('_')[2]);
    const { rows } = await pool.query('SELECT secret_sha256 FROM api_keys WHERE id = $1', [idOf(keys.operator)]);
    expect(rows[0].secret_sha256).toMatch(/^[0-9a-f]{64}$/);
    const created = (await adminEvents('apiKeys')).filter((e) => e.type === 'ApiKeyCreated');
    expect(created.map((e) => e.metadata.actor)).toEqual(['system:http@e2e', ...Array(4).fill(`api-key:${idOf(keys.admin)}`)]);
    await eventually(async () => {
      const again = (await data(keys.admin, '{ apiKeys { ... on ApiKeyList { keys { id lastUsedAt } } } }')).apiKeys.keys;
      return again.find((k: { id: string }) => k.id === idOf(keys.admin)).lastUsedAt ? true : undefined;
    });
  });

  it('stops a revoked key at once, records who revoked it, and keeps the last admin key', async () => {
    const doomed = await createKey('operator', 'doomed');
    expect((await gql(doomed, '{ viewer { id } }')).status).toBe(200);
    const revoked = (await data(keys.admin, REVOKE_KEY, { id: idOf(doomed) })).revokeApiKey;
    expect(revoked).toMatchObject({ __typename: 'RevokeApiKeyPayload', apiKey: { id: idOf(doomed), revokedAt: expect.any(String) } });
    const next = await gql(doomed, '{ viewer { id } }');
    expect(next.status).toBe(401);
    expect(next.body).toEqual({ errors: [{ message: 'invalid or revoked API key', extensions: { code: 'UNAUTHENTICATED' } }] });
    const event = (await adminEvents('apiKeys')).find((e) => e.type === 'ApiKeyRevoked');
    expect(event).toMatchObject({ data: { keyId: idOf(doomed), reason: 'test' }, metadata: { actor: `api-key:${idOf(keys.admin)}`, node: 'e2e' } });
    expect((await data(keys.admin, REVOKE_KEY, { id: idOf(keys.admin) })).revokeApiKey).toMatchObject({ __typename: 'DomainError', code: 'LAST_ADMIN_KEY' });
    expect((await gql(keys.admin, '{ viewer { id } }')).status).toBe(200);
  });
});

describe('integrator keys', () => {
  it('read only the messages they sent', async () => {
    const mine = [await sendAs(keys.integrator, 'first of mine'), await sendAs(keys.integrator, 'second of mine')];
    const theirs = await sendAs(keys.integrator2, 'not yours');
    const LIST = '{ messages(first: 50) { totalCount edges { node { id submittedBy } } } }';
    const listed = (key: string) => data(key, LIST).then((d) => d.messages);
    await eventually(async () => ((await listed(keys.admin)).totalCount === 4 ? true : undefined));
    const own = await listed(keys.integrator);
    expect(own.totalCount).toBe(2);
    expect(own.edges.map((e: { node: { id: string } }) => e.node.id).sort()).toEqual([...mine].sort());
    expect(own.edges.every((e: { node: { submittedBy: string } }) => e.node.submittedBy === `api-key:${idOf(keys.integrator)}`)).toBe(true);
    expect((await listed(keys.integrator2)).edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([theirs]);

    const MESSAGE = 'query ($id: ID!) { message(id: $id) { id raw events { type } } }';
    expect((await data(keys.integrator, MESSAGE, { id: theirs })).message).toBeNull();
    expect((await data(keys.integrator, MESSAGE, { id: smtpMessage })).message).toBeNull();
    const own0 = (await data(keys.integrator, MESSAGE, { id: mine[0] })).message;
    expect(own0).toMatchObject({ id: mine[0], raw: null });
    expect(own0.events[0].type).toBe('MessageAccepted');
    const asked = await data(keys.integrator, 'query ($f: MessageFilter) { messages(filter: $f) { totalCount } }',
      { f: { submittedBy: `api-key:${idOf(keys.integrator2)}` } });
    expect(asked.messages.totalCount).toBe(0);
  });
});

type Outcome = 'ok' | 'forbidden' | 'body' | 'no body' | string;
/** What a role gets for an operation: ok, forbidden (ForbiddenError result or FORBIDDEN error), or whether a body came back. */
const outcome = async (key: string, query: string, field: string, variables: Record<string, unknown> = {}): Promise<Outcome> => {
  const { status, body } = await gql(key, query, variables);
  if (status !== 200) return `http ${status}`;
  if (body.errors?.some((e) => e.extensions?.code === 'FORBIDDEN') && body.data == null) return 'forbidden';
  if (body.errors) return `error: ${body.errors[0]!.message}`;
  const value = (body.data as Record<string, any>)[field];
  if (value?.__typename === 'ForbiddenError') return 'forbidden';
  if (field === 'message') return value?.raw ? 'body' : 'no body';
  return value?.__typename && /Error$/.test(value.__typename) ? `${value.__typename} ${value.code}` : 'ok';
};

describe('roles', () => {
  it('lets each role do exactly what it may', async () => {
    const throwaway = idOf(await createKey('auditor', 'throwaway'));
    const own = await sendAs(keys.integrator, 'for the raw check');
    const union = (payload: string) => `__typename ... on ${payload} { __typename } ... on Error { code }`;
    const operations: Array<[string, string, string, (role: RoleName) => Record<string, unknown>]> = [
      ['viewer', '{ viewer { id role } }', 'viewer', () => ({})],
      ['messages', '{ messages(first: 5) { totalCount } }', 'messages', () => ({})],
      ['message raw', 'query ($id: ID!) { message(id: $id) { raw } }', 'message', (r) => ({ id: r === 'integrator' ? own : smtpMessage })],
      ['queue', '{ queue(first: 5) { totalCount } }', 'queue', () => ({})],
      ['queueSummary', '{ queueSummary { total } }', 'queueSummary', () => ({})],
      ['holdMessages', `mutation ($id: ID!) { holdMessages(input: { messageIds: [$id] }) { ${union('QueueActionPayload')} } }`, 'holdMessages', () => ({ id: smtpMessage })],
      ['releaseMessages', `mutation ($id: ID!) { releaseMessages(input: { messageIds: [$id] }) { ${union('QueueActionPayload')} } }`, 'releaseMessages', () => ({ id: smtpMessage })],
      ['apiKeys', `{ apiKeys { ${union('ApiKeyList')} } }`, 'apiKeys', () => ({})],
      ['createApiKey', `mutation { createApiKey(input: { name: "matrix", role: INTEGRATOR }) { ${union('CreateApiKeyPayload')} } }`, 'createApiKey', () => ({})],
      ['replayProjection', `mutation { replayProjection(name: "views") { ${union('ReplayProjectionPayload')} } }`, 'replayProjection', () => ({})],
      // last: the admin's revocation would otherwise leave nothing for the other roles to be refused
      ['revokeApiKey', `mutation ($id: ID!) { revokeApiKey(id: $id) { ${union('RevokeApiKeyPayload')} } }`, 'revokeApiKey', () => ({ id: throwaway })],
    ];
    const matrix: Record<string, Record<string, Outcome>> = {};
    for (const [name, query, field, variables] of operations) {
      matrix[name] = {};
      for (const role of [...ROLES].reverse()) matrix[name]![role] = await outcome(keys[role], query, field, variables(role));
    }
    const row = (admin: Outcome, operator: Outcome, auditor: Outcome, integrator: Outcome) => ({ admin, operator, auditor, integrator });
    expect(matrix).toEqual({
      viewer: row('ok', 'ok', 'ok', 'ok'),
      messages: row('ok', 'ok', 'ok', 'ok'),
      'message raw': row('body', 'no body', 'body', 'no body'),
      queue: row('ok', 'ok', 'ok', 'forbidden'),
      queueSummary: row('ok', 'ok', 'ok', 'forbidden'),
      holdMessages: row('ok', 'ok', 'forbidden', 'forbidden'),
      releaseMessages: row('ok', 'ok', 'forbidden', 'forbidden'),
      apiKeys: row('ok', 'forbidden', 'forbidden', 'forbidden'),
      createApiKey: row('ok', 'forbidden', 'forbidden', 'forbidden'),
      replayProjection: row('ok', 'forbidden', 'forbidden', 'forbidden'),
      revokeApiKey: row('ok', 'forbidden', 'forbidden', 'forbidden'),
    });
  });

  it('rebuilds the views online for an admin, recording who asked, and names an unknown projection', async () => {
    const before = (await data(keys.admin, '{ messages(first: 50) { totalCount edges { node { id status submittedBy } } } }')).messages;
    const result = (await data(keys.admin, 'mutation { replayProjection(name: "views") { ... on ReplayProjectionPayload { projection events } } }')).replayProjection;
    expect(result.projection).toBe('views');
    expect(await data(keys.admin, '{ messages(first: 50) { totalCount edges { node { id status submittedBy } } } }')).toEqual({ messages: before });
    const events = await adminEvents('projections');
    expect(events.map((e) => e.type).slice(-2)).toEqual(['ProjectionReplayRequested', 'ProjectionReplayed']);
    expect(events.at(-1)).toMatchObject({ data: { projection: 'views', actor: `api-key:${idOf(keys.admin)}` }, metadata: { actor: `api-key:${idOf(keys.admin)}` } });
    const unknown = (await data(keys.admin, 'mutation { replayProjection(name: "nope") { __typename ... on Error { code } } }')).replayProjection;
    expect(unknown).toEqual({ __typename: 'DomainError', code: 'UNKNOWN_PROJECTION' });
  });
});

describe('safety', () => {
  it('refuses a query nested 15 deep before running it, and answers introspection to any key', async () => {
    const deep = `{ __schema { types { fields { type ${'{ ofType '.repeat(10)}{ name }${' }'.repeat(10)} } } } }`;
    const { status, body } = await gql(keys.integrator, deep);
    expect(status).toBe(200);
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_DEEP');
    expect(body.errors?.[0]?.message).toMatch(/nested 15 levels deep/);
    expect((await data(keys.integrator, '{ __schema { queryType { name } } }')).__schema.queryType.name).toBe('Query');
  });

  it('answers a failing resolver with a generic error: no SQL, no stack', async () => {
    await pool.query('ALTER TABLE messages RENAME TO messages_hidden_by_test');
    try {
      const { status, body } = await gql(keys.admin, '{ messages { totalCount } }');
      expect(status).toBe(200);
      expect(body.errors).toEqual([{ message: 'Unexpected error.', locations: expect.any(Array), path: ['messages'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
      expect(JSON.stringify(body)).not.toMatch(/messages_hidden|relation|SELECT|stack|\.ts:|\.js:/i);
    } finally {
      await pool.query('ALTER TABLE messages_hidden_by_test RENAME TO messages');
    }
  });

  it('refuses a body over the limit with 413, declared or chunked', async () => {
    const graphqlRaw = (body: string, chunked: boolean) => postGraphqlBody(elemta.ports.http, keys.auditor, body, chunked);
    const big = JSON.stringify({ query: `{ viewer { id } } # ${'x'.repeat(1024 * 1024)}` });
    const declared = await graphqlRaw(big, false);
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
    for (const body of [big, big + ' '.repeat(2 * 1024 * 1024)]) expect((await graphqlRaw(body, true)).status).toBe(413);
    const small = await graphqlRaw(JSON.stringify({ query: '{ viewer { id } }' }), true);
    expect(small.status).toBe(200);
  });

  it('sends CORS headers only to a listed origin, and answers its preflight without a key', async () => {
    const url = `http://127.0.0.1:${elemta.ports.http}/graphql`;
    const preflight = (origin: string) => fetch(url, {
      method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    const listed = await preflight(ORIGIN);
    expect(listed.status).toBe(204);
    expect(listed.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(listed.headers.get('access-control-allow-headers')).toContain('authorization');
    const other = await preflight('https://evil.example');
    expect(other.status).toBe(401);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const post = (origin: string) => fetch(url, {
      method: 'POST', headers: { origin, 'content-type': 'application/json', authorization: `Bearer ${keys.auditor}` },
      body: JSON.stringify({ query: '{ viewer { id } }' }),
    });
    expect((await post(ORIGIN)).headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect((await post('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('Relay pagination of messages', () => {
  const SENDER = 'pager@paging.test';
  type Page = { totalCount: number; edges: Array<{ cursor: string; node: { id: string } }>;
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null } };
  const PAGE = `query ($first: Int, $after: String, $last: Int, $before: String, $orderBy: MessageOrder) {
    messages(filter: { sender: "${SENDER}" }, first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy) {
      totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;
  const page = async (variables: Record<string, unknown>): Promise<Page> => (await data(keys.auditor, PAGE, variables)).messages;
  const ids = (p: Page) => p.edges.map((e) => e.node.id);

  /** Sends over SMTP until stopped (at most 100, so that one page of 200 holds them all); resolves with how many it sent. */
  const keepSending = () => {
    let stop = false;
    const transport = smtp();
    const done = (async () => {
      let sent = 0;
      while (!stop && sent < 100) {
        if (sent >= 20) await new Promise((r) => setTimeout(r, 25)); // a steady trickle once paging is under way
        await transport.sendMail({ from: SENDER, to: 'someone@example.net', subject: `late ${sent}`, text: 'arrives while paging' });
        sent += 1;
      }
      transport.close();
      return sent;
    })();
    return { stop: async () => { stop = true; return done; } };
  };

  const forwards = async (): Promise<string[]> => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 100; i++) {
      const p = await page({ first: 7, after });
      seen.push(...ids(p));
      if (!p.pageInfo.hasNextPage) return seen;
      after = p.pageInfo.endCursor;
      await new Promise((r) => setTimeout(r, 40)); // let new mail land between pages
    }
    throw new Error('paging did not end');
  };
  const backwards = async (): Promise<string[]> => {
    const seen: string[] = [];
    let before: string | null = null;
    for (let i = 0; i < 100; i++) {
      const p = await page({ last: 7, before });
      seen.unshift(...ids(p));
      if (!p.pageInfo.hasPreviousPage) return seen;
      before = p.pageInfo.startCursor;
      await new Promise((r) => setTimeout(r, 40));
    }
    throw new Error('paging did not end');
  };
  const once = (seen: string[]) => expect(new Set(seen).size).toBe(seen.length);

  it('neither repeats nor skips a message while new ones arrive over SMTP, forwards and backwards', async () => {
    const transport = smtp();
    for (let i = 0; i < 40; i++) await transport.sendMail({ from: SENDER, to: 'someone@example.net', subject: `early ${i}`, text: 'x' });
    transport.close();
    const settled = await eventually(async () => {
      const all = await page({ first: 200 });
      return all.totalCount === 40 ? ids(all) : undefined;
    });

    const sender = keepSending();
    const forward = await forwards();
    const backward = await backwards();
    const late = await sender.stop();

    expect(late).toBeGreaterThan(0);
    expect([...forward, ...backward].some((id) => !settled.includes(id)), 'no new message showed up while paging').toBe(true);
    once(forward);
    once(backward);
    // every message listed before paging began appears exactly once, in the same order, both ways
    expect(forward.filter((id) => settled.includes(id))).toEqual(settled);
    expect(backward.filter((id) => settled.includes(id))).toEqual(settled);

    // once the mail has settled, both directions and both orders list the same messages
    const total = 40 + late;
    const all = await eventually(async () => {
      const p = await page({ first: 200 });
      return p.totalCount === total ? ids(p) : undefined;
    });
    expect(await forwards()).toEqual(all);
    expect(await backwards()).toEqual(all);
    expect(ids(await page({ first: 200, orderBy: 'RECEIVED_ASC' }))).toEqual([...all].reverse());
  });

  it('refuses first with last, and a page larger than 200', async () => {
    const both = await gql(keys.auditor, PAGE, { first: 2, last: 2 });
    expect(both.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'FIRST_AND_LAST' });
    const huge = await gql(keys.auditor, PAGE, { first: 201 });
    expect(huge.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'PAGE_SIZE_OUT_OF_RANGE' });
  });
});
