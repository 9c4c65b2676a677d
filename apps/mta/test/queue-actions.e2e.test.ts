import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '@elemta/infra/config';
import { createLogger } from '@elemta/infra/logger';
import { createTestDatabase, eventually, freePort, graphqlRequest } from '@elemta/infra/testing';
import { startElemta, type RunningElemta } from '../src/index.js';

let elemta: RunningElemta;
let dataDir: string;
let adminKey: string;
let actor: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'elemta-e2e-'));
  const databaseUrl = await createTestDatabase(inject('postgresUrl'));
  const config = loadConfig({
    ELEMTA_DATA_DIR: dataDir, DATABASE_URL: databaseUrl, ELEMTA_SMTP_PORT: String(await freePort()),
    ELEMTA_SUBMISSION_PORT: '0', ELEMTA_HTTP_PORT: String(await freePort()), ELEMTA_LOG_LEVEL: 'silent',
    ELEMTA_NODE_NAME: 'e2e', ELEMTA_HOSTNAME: 'mx.elemta.test', ELEMTA_DELIVERY_WORKERS: 'false', // mail stays queued
  });
  elemta = await startElemta({ ...config, smtp: { ...config.smtp, disableReverseLookup: true } }, createLogger({ level: 'silent', node: 'e2e' }));
  adminKey = readFileSync(join(dataDir, 'admin.key'), 'utf8').trim();
  actor = `api-key:${adminKey.split('_')[1]}`;
});

afterAll(async () => {
  await elemta?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

type Row = { messageId: string; recipient: string; status: string; domain: string };
type Payload = { __typename: string; matched?: number; changed?: number; unchanged?: number; code?: string; field?: string;
  failures?: Array<{ messageId: string; code: string }> };

const gql = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
  const { status, body } = await graphqlRequest<T>(elemta.ports.http, adminKey, query, variables);
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  expect(status).toBe(200);
  return body.data!;
};

const QUEUE = `query ($filter: QueueFilter) { queue(filter: $filter, first: 50) {
  totalCount edges { cursor node { messageId recipient status domain } } pageInfo { endCursor } } }`;

const queueRows = async (filter: Record<string, unknown>): Promise<Row[]> =>
  (await gql<{ queue: { edges: Array<{ node: Row }> } }>(QUEUE, { filter })).queue.edges.map((e) => e.node);

/** Polls the queue view (it lags the log by a projection batch) until `ok` holds for the rows of `filter`. */
const rowsOnceThey = (filter: Record<string, unknown>, ok: (rows: Row[]) => boolean) =>
  eventually(async () => { const rows = await queueRows(filter); return ok(rows) ? rows : undefined; });

const action = async (field: string, input: Record<string, unknown>): Promise<Payload> => {
  const data = await gql<Record<string, Payload>>(`mutation ($input: QueueActionInput!) { ${field}(input: $input) {
    __typename
    ... on QueueActionPayload { matched changed unchanged failures { messageId code } }
    ... on Error { code message }
    ... on InvalidInputError { field } } }`, { input });
  return data[field]!;
};

const send = async (to: string[], subject: string): Promise<string> => {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: elemta.ports.smtp, secure: false, ignoreTLS: true });
  const info = await transport.sendMail({ from: 'ops@example.org', to, subject, text: 'queued for the queue actions test' });
  return /queued as ([0-9a-f-]{36})$/.exec(info.response)![1]!;
};

const messageOf = (id: string) => gql<{ message: { status: string; events: Array<{ type: string; data: any; metadata: any }> } }>(
  'query ($id: ID!) { message(id: $id) { status events { type data metadata } } }', { id });

describe('queue actions through GraphQL, end to end', () => {
  let held: string;
  let other: string;

  it('lists queued mail in the queue', async () => {
    held = await send(['a@hold.test', 'b@hold.test'], 'to be held');
    other = await send(['x@retry.test'], 'to be retried and cancelled');
    const rows = await rowsOnceThey({ messageId: held }, (r) => r.length === 2);
    expect(rows).toEqual([
      { messageId: held, recipient: 'a@hold.test', status: 'QUEUED', domain: 'hold.test' },
      { messageId: held, recipient: 'b@hold.test', status: 'QUEUED', domain: 'hold.test' },
    ]);
    await rowsOnceThey({ domain: 'retry.test' }, (r) => r.length === 1 && r[0]!.status === 'QUEUED');
  });

  it('continues a listing from any edge cursor, not only the end cursor', async () => {
    type Page = { queue: { totalCount: number; edges: Array<{ cursor: string; node: Row }>; pageInfo: { endCursor: string } } };
    const query = 'query ($after: String) { queue(first: 2, after: $after) { totalCount edges { cursor node { messageId recipient status domain } } pageInfo { endCursor } } }';
    const first = (await gql<Page>(query)).queue;
    expect(first.totalCount).toBe(3);
    expect(first.edges.at(-1)!.cursor).toBe(first.pageInfo.endCursor);
    const fromFirstEdge = (await gql<Page>(query, { after: first.edges[0]!.cursor })).queue;
    expect(fromFirstEdge.edges.map((e) => e.node.recipient)).toEqual(['b@hold.test', 'x@retry.test']);
  });

  it('holds a message by id, records who did it, and holding again changes nothing', async () => {
    expect(await action('holdMessages', { messageIds: [held], reason: 'looks like spam' }))
      .toEqual({ __typename: 'QueueActionPayload', matched: 1, changed: 1, unchanged: 0, failures: [] });
    await rowsOnceThey({ messageId: held }, (r) => r.length === 2 && r.every((row) => row.status === 'HELD'));
    const heldEvent = await eventually(async () => (await messageOf(held)).message.events.find((e) => e.type === 'MessageHeld'));
    expect(heldEvent.metadata).toMatchObject({ actor, correlationId: held, node: 'e2e' });
    expect(heldEvent.data).toMatchObject({ messageId: held, actor, reason: 'looks like spam' });
    expect(await action('holdMessages', { messageIds: [held] })).toMatchObject({ matched: 1, changed: 0, unchanged: 1, failures: [] });
  });

  it('reports a release of a message that is not held as a failure', async () => {
    expect(await action('releaseMessages', { messageIds: [other], reason: 'oops' })).toEqual({
      __typename: 'QueueActionPayload', matched: 1, changed: 0, unchanged: 0, failures: [{ messageId: other, code: 'MESSAGE_NOT_HELD' }],
    });
  });

  it('retries the messages a filter selects', async () => {
    expect(await action('retryMessages', { filter: { domain: 'RETRY.test' } }))
      .toEqual({ __typename: 'QueueActionPayload', matched: 1, changed: 1, unchanged: 0, failures: [] });
    expect(await action('retryMessages', { filter: { domain: 'hold.test' } }))
      .toMatchObject({ matched: 1, changed: 0, failures: [{ messageId: held, code: 'MESSAGE_HELD' }] });
    const retried = await eventually(async () => (await messageOf(other)).message.events.find((e) => e.type === 'RetryRequested'));
    expect(retried.metadata).toMatchObject({ actor });
  });

  it('cancels a message: its rows leave the queue and later actions are refused', async () => {
    expect(await action('cancelMessages', { messageIds: [other], reason: 'customer asked' }))
      .toMatchObject({ matched: 1, changed: 1, failures: [] });
    await rowsOnceThey({ messageId: other }, (r) => r.length === 0);
    const status = await eventually(async () => {
      const { message } = await messageOf(other);
      return message.status === 'CANCELLED' ? message.status : undefined;
    });
    expect(status).toBe('CANCELLED');
    expect(await action('releaseMessages', { messageIds: [other] }))
      .toMatchObject({ matched: 1, changed: 0, failures: [{ messageId: other, code: 'MESSAGE_CANCELLED' }] });
  });

  it('summarises the queue', async () => {
    const { queueSummary } = await gql<{ queueSummary: Record<string, any> }>(`{ queueSummary {
      total byStatus { status count } byZone { zone count } byDomain { domain count } oldestAcceptedAt oldestAgeSeconds } }`);
    expect(queueSummary).toMatchObject({
      total: 2, byStatus: [{ status: 'HELD', count: 2 }], byZone: [{ zone: 'default', count: 2 }], byDomain: [{ domain: 'hold.test', count: 2 }],
    });
    expect(Date.parse(queueSummary['oldestAcceptedAt'])).toBeLessThanOrEqual(Date.now());
    expect(queueSummary['oldestAgeSeconds']).toBeGreaterThanOrEqual(0);
  });

  it('refuses both ids and a filter as a typed error, changing nothing', async () => {
    expect(await action('cancelMessages', { messageIds: [held], filter: { domain: 'hold.test' } }))
      .toMatchObject({ __typename: 'InvalidInputError', code: 'BAD_SELECTION' });
    const rows = await queueRows({ messageId: held });
    expect(rows.map((r) => r.status)).toEqual(['HELD', 'HELD']);
  });

  it('answers 401 without an API key', async () => {
    const { status, body } = await graphqlRequest(elemta.ports.http, null, 'mutation { holdMessages(input: { filter: { domain: "hold.test" } }) { __typename } }');
    expect(status).toBe(401);
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
