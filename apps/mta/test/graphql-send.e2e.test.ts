import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '@elemta/infra/config';
import { PostgresEventStore } from '@elemta/infra/event-store-pg';
import { createLogger } from '@elemta/infra/logger';
import { createPool, type Pool } from '@elemta/infra/postgres';
import { createTestDatabase, eventually, freePort, graphqlRequest } from '@elemta/infra/testing';
import { ApiKeys } from '../src/auth/api-keys.js';
import { startElemta, type RunningElemta } from '../src/index.js';

const HEADER_CHECKS = fileURLToPath(new URL('../examples/plugins/header-checks.plugin.mjs', import.meta.url));
const MAX_SIZE = 64 * 1024;
const MAX_RECIPIENTS = 5;

let elemta: RunningElemta;
let dataDir: string;
let pool: Pool;
let store: PostgresEventStore;
const keys = { admin: '', integrator: '', operator: '', auditor: '' };
const idOf = (key: string) => key.split('_')[1]!;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'elemta-send-'));
  writeFileSync(join(dataDir, 'elemta.yaml'), JSON.stringify({
    smtp: { disableReverseLookup: true, maxMessageSize: MAX_SIZE, maxRecipients: MAX_RECIPIENTS },
    policy: {
      plugins: [{
        name: 'header-checks', module: HEADER_CHECKS, config: { rules: [
          { header: 'Subject', pattern: '(?i)lottery winner', action: 'reject', text: 'Looks like spam' },
          { header: 'X-Mailer', pattern: '^MassMailer', action: 'quarantine' },
          { header: 'Subject', pattern: '\\[External\\]', action: 'tag', tag: 'X-Elemta-External: yes' },
        ] },
      }],
    },
  }));
  // the defaults of `npm start`: capture mode, workers on, so accepted mail is delivered to the capture store
  const config = loadConfig({
    ELEMTA_CONFIG: join(dataDir, 'elemta.yaml'), ELEMTA_DATA_DIR: dataDir, DATABASE_URL: await createTestDatabase(inject('postgresUrl')),
    ELEMTA_SMTP_PORT: String(await freePort()), ELEMTA_SUBMISSION_PORT: String(await freePort()), ELEMTA_HTTP_PORT: String(await freePort()),
    ELEMTA_NODE_NAME: 'e2e', ELEMTA_HOSTNAME: 'mx.elemta.test',
  });
  elemta = await startElemta(config, createLogger({ level: 'silent', node: 'e2e' }));
  keys.admin = readFileSync(join(dataDir, 'admin.key'), 'utf8').trim();
  pool = createPool(elemta.databaseUrl);
  store = new PostgresEventStore({ pool, listenUrl: elemta.databaseUrl });
  const apiKeys = new ApiKeys(pool, store, 'system:test@e2e', 'e2e');
  for (const role of ['integrator', 'operator', 'auditor'] as const) {
    keys[role] = (await apiKeys.create({ name: `${role} key`, role, actor: 'system:test@e2e' })).key;
  }
});

afterAll(async () => {
  await store?.close();
  await pool?.end();
  await elemta?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

type Result = { __typename: string; messageId?: string; mailFrom?: string; recipients?: string[]; code?: string; message?: string;
  field?: string; replyCode?: number; enhancedCode?: string; text?: string; plugin?: string; stage?: string };

const SEND = `mutation ($input: SendMessageInput!) { sendMessage(input: $input) {
  __typename
  ... on SendMessagePayload { messageId mailFrom recipients }
  ... on Error { code message }
  ... on InvalidInputError { field }
  ... on PolicyRejectedError { replyCode enhancedCode text plugin stage } } }`;

const send = async (input: Record<string, unknown>, key = keys.integrator): Promise<Result> => {
  const { status, body } = await graphqlRequest<{ sendMessage: Result }>(elemta.ports.http, key, SEND, { input });
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  expect(status).toBe(200);
  return body.data!.sendMessage;
};

type Message = { status: string; listener: string; captured: boolean; raw: string | null; mailFrom: string;
  recipients: Array<{ address: string; status: string }>; events: Array<{ type: string; data: any; metadata: any }> };

const MESSAGE = `query ($id: ID!) { message(id: $id) {
  status listener captured raw mailFrom recipients { address status } events { type data metadata } } }`;

/** The message as the admin sees it (body included), once `ok` holds. */
const messageOnce = (id: string, ok: (m: Message) => boolean) => eventually(async () => {
  const { body } = await graphqlRequest<{ message: Message | null }>(elemta.ports.http, keys.admin, MESSAGE, { id });
  const message = body.data?.message;
  return message && ok(message) ? message : undefined;
}, 15_000);

const eventCount = async (): Promise<number> => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0]!.n;

/** Asserts that `act` appends nothing to the log (nothing else appends meanwhile: these tests run before any mail). */
const appendsNothing = async <T>(act: () => Promise<T>): Promise<T> => {
  const before = await eventCount();
  const result = await act();
  expect(await eventCount()).toBe(before);
  return result;
};

const RAW = ['From: Shop <shop@example.org>', 'To: Bob <bob@example.net>', 'Subject: Your order', '', 'Thanks for your order.', ''].join('\n');

describe('sendMessage refuses, appending nothing', () => {
  it.each([
    ['an invalid recipient address', { envelope: { from: 'shop@example.org', to: ['bob@example.net', 'not an address'] }, raw: RAW }, 'INVALID_ADDRESS', 'envelope.to'],
    ['an invalid sender address', { envelope: { from: 'shop@@example.org', to: ['bob@example.net'] }, raw: RAW }, 'INVALID_ADDRESS', 'envelope.from'],
    ['an invalid address among the fields', { message: { from: 'shop@example.org', to: ['Bob <bob@>'], text: 'x' } }, 'INVALID_ADDRESS', 'message.to'],
    ['an empty recipient list', { envelope: { from: 'shop@example.org', to: [] }, raw: RAW }, 'NO_RECIPIENTS', 'envelope.to'],
    ['content without recipients', { message: { from: 'shop@example.org', subject: 'to nobody', text: 'x' } }, 'NO_RECIPIENTS', 'message.to'],
    ['more recipients than allowed', {
      envelope: { from: 'shop@example.org', to: Array.from({ length: MAX_RECIPIENTS + 1 }, (_, i) => `r${i}@example.net`) }, raw: RAW,
    }, 'TOO_MANY_RECIPIENTS', 'envelope.to'],
    ['raw content over the size limit', { raw: `${RAW}${'x'.repeat(MAX_SIZE)}\n` }, 'MESSAGE_TOO_LARGE', 'raw'],
    ['composed content over the size limit', { message: { from: 'shop@example.org', to: ['bob@example.net'], text: 'y'.repeat(MAX_SIZE) } }, 'MESSAGE_TOO_LARGE', 'message'],
    ['both raw and fields', { raw: RAW, message: { from: 'shop@example.org' } }, 'BAD_CONTENT', 'message'],
  ])('refuses %s with a typed InvalidInputError', async (_name, input, code, field) => {
    expect(await appendsNothing(() => send(input))).toMatchObject({ __typename: 'InvalidInputError', code, field });
  });

  it('refuses a message a policy plugin rejects, with its SMTP reply', async () => {
    const result = await appendsNothing(() => send({ raw: RAW.replace('Subject: Your order', 'Subject: You are our LOTTERY WINNER') }));
    expect(result).toEqual({
      __typename: 'PolicyRejectedError', code: 'POLICY_REJECTED', message: 'refused by policy: 550 5.7.1 Looks like spam',
      replyCode: 550, enhancedCode: '5.7.1', text: 'Looks like spam', plugin: 'header-checks', stage: 'data',
    });
  });

  it.each(['operator', 'auditor'] as const)('refuses the %s role', async (role) => {
    expect(await appendsNothing(() => send({ raw: RAW }, keys[role]))).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
  });
});

describe('sendMessage accepts', () => {
  it('a raw message with its envelope: recorded with the key as actor, then delivered in capture mode', async () => {
    const result = await send({ envelope: { from: 'bounces@example.org', to: ['bob@example.net'] }, raw: RAW });
    expect(result).toMatchObject({ __typename: 'SendMessagePayload', mailFrom: 'bounces@example.org', recipients: ['bob@example.net'] });
    const message = await messageOnce(result.messageId!, (m) => m.status === 'DELIVERED');
    expect(message).toMatchObject({ listener: 'api', captured: true, mailFrom: 'bounces@example.org', recipients: [{ address: 'bob@example.net', status: 'DELIVERED' }] });
    const actor = `api-key:${idOf(keys.integrator)}`;
    const accepted = message.events.find((e) => e.type === 'MessageAccepted')!;
    expect(accepted.metadata).toMatchObject({ actor, correlationId: result.messageId, node: 'e2e' });
    expect(accepted.data).toMatchObject({ listener: 'api', client: null, authUser: null, sessionId: null,
      envelope: { mailFrom: 'bounces@example.org', rcptTo: ['bob@example.net'] }, headers: { subject: 'Your order' } });
    // the acceptance's events carry the key; delivery's are the system's own
    expect(message.events.map((e) => [e.type, e.metadata.actor])).toEqual([
      ['MessageAccepted', actor], ['MessageQueued', actor], ['DeliveryAttempted', 'system:delivery@e2e'], ['RecipientDelivered', 'system:delivery@e2e'],
    ]);
    expect(message.raw).toMatch(new RegExp(`^Received: from api \\(api-key ${idOf(keys.integrator)}\\)\r\n\tby mx\\.elemta\\.test \\(Elemta\\) with HTTP id ${result.messageId}\r\n\tfor <bob@example\\.net>;\r\n\t`));
    expect(message.raw).toContain('Subject: Your order\r\n\r\nThanks for your order.\r\n'); // LF became CRLF
  });

  it('a raw message without an envelope: taken from From, To, Cc and Bcc, and the Bcc header is removed', async () => {
    const raw = ['From: Shop <shop@example.org>', 'To: bob@example.net', 'Cc: Carol <carol@example.net>, bob@example.net', 'Bcc: audit@example.org',
      'Subject: Derived', '', 'Hello.', ''].join('\r\n');
    const result = await send({ raw });
    expect(result).toMatchObject({ mailFrom: 'shop@example.org', recipients: ['bob@example.net', 'carol@example.net', 'audit@example.org'] });
    const message = await messageOnce(result.messageId!, (m) => m.status === 'DELIVERED');
    expect(message.raw).not.toMatch(/^Bcc:/mi);
    expect(message.raw).toContain('Cc: Carol <carol@example.net>, bob@example.net\r\nSubject: Derived\r\n');
  });

  it('a message composed from fields, as MIME, with Bcc only in the envelope', async () => {
    const result = await send({ message: {
      from: 'Shop <shop@example.org>', to: ['Bob <bob@example.net>'], bcc: ['archive@example.org'], subject: 'Grüße',
      text: 'Plain text.', html: '<p>HTML.</p>', headers: [{ name: 'X-Campaign', value: 'autumn' }], messageId: '<order-1@shop.example.org>',
    } }, keys.admin);
    expect(result).toMatchObject({ __typename: 'SendMessagePayload', mailFrom: 'shop@example.org', recipients: ['bob@example.net', 'archive@example.org'] });
    const message = await messageOnce(result.messageId!, (m) => m.status === 'DELIVERED');
    expect(message.events.find((e) => e.type === 'MessageAccepted')!.metadata.actor).toBe(`api-key:${idOf(keys.admin)}`);
    expect(message.raw).toMatch(/^X-Campaign: autumn\r\n/m);
    expect(message.raw).toContain('Message-ID: <order-1@shop.example.org>');
    expect(message.raw).toMatch(/^Subject: =\?UTF-8\?Q\?Gr=C3=BC=C3=9Fe\?=\r\n/m);
    expect(message.raw).toMatch(/Content-Type: multipart\/alternative/);
    expect(message.raw).not.toMatch(/^Bcc:/mi);
  });

  it('a message a plugin quarantines: accepted, and held in the same append', async () => {
    const result = await send({ raw: RAW.replace('Subject: Your order', 'X-Mailer: MassMailer 2.0\nSubject: Your order') });
    const message = await messageOnce(result.messageId!, (m) => m.status === 'HELD');
    const held = message.events.find((e) => e.type === 'MessageHeld')!;
    expect(held.data).toMatchObject({ actor: 'policy:header-checks' });
    expect(message.events.find((e) => e.type === 'PolicyEvaluated')!.data).toMatchObject({ stage: 'data', plugin: 'header-checks', verdict: 'quarantine' });
  });

  it('a message a plugin tags: its header goes on top, above the Received line', async () => {
    const result = await send({ raw: RAW.replace('Subject: Your order', 'Subject: [External] Your order') });
    const message = await messageOnce(result.messageId!, (m) => m.status === 'DELIVERED');
    expect(message.raw).toMatch(/^X-Elemta-External: yes\r\nReceived: from api /);
  });
});
