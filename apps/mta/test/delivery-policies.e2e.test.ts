import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { asMessageId, messageDecider, messageStream, planRecipients, type AcceptMessage } from '@elemta/domain';
import { PostgresBlobStore } from '@elemta/infra/blob-store';
import { loadConfig } from '@elemta/infra/config';
import { PostgresEventStore } from '@elemta/infra/event-store-pg';
import { newId } from '@elemta/infra/ids';
import { createLogger } from '@elemta/infra/logger';
import {
  createTestDatabase, eventually, freePort, startSmtpSink, startTestDnsServer, type SmtpSink, type TestDnsServer,
} from '@elemta/infra/testing';
import { startElemta, type RunningElemta } from '../src/index.js';
import { summarizeHeaders } from '../src/smtp/header-summary.js';

type Instance = { elemta: RunningElemta; db: pg.Pool; databaseUrl: string };
/** `main` keeps mail for days; `shortLived` expires it after 3 s (retry.maxQueueTime is global, hence two nodes). */
let main: Instance;
let shortLived: Instance;
let dns: TestDnsServer;
let dir: string;
const sinks: Record<string, SmtpSink> = {};

/** Destinations with an MX (mx.<domain>), each a real smtp-server on its own loopback address, all on one port. */
const MX_DESTINATIONS = {
  'sender.test': '127.0.0.2', 'dest.test': '127.0.0.3', 'throttled.test': '127.0.0.4', 'always451.test': '127.0.0.5',
  'rejectall.test': '127.0.0.6', 'plain.test': '127.0.0.8', 'secure.test': '127.0.0.10',
} as const;
const IMPLICIT_MX = { domain: 'implicit.test', ip: '127.0.0.7' };
const BULK_SOURCE = '127.0.0.9';
const LAST_451 = { code: 451, enhancedCode: '4.2.1', text: 'mailbox busy, come back later' };
const REJECT_ALL = { code: 550, enhancedCode: '5.1.1', text: 'nobody here accepts mail' };

const startInstance = async (name: string, delivery: string[]): Promise<Instance> => {
  const configFile = join(dir, `${name}.yaml`);
  writeFileSync(configFile, ['delivery:', '  mode: relay', ...delivery.map((l) => `  ${l}`),
    `  dns: { servers: ["${dns.address}"], timeout: 1 }`, '  workers: { pollInterval: 100ms, lease: 10s }', ''].join('\n'));
  const databaseUrl = await createTestDatabase(inject('postgresUrl'));
  const config = loadConfig({
    ELEMTA_CONFIG: configFile, ELEMTA_DATA_DIR: join(dir, name), DATABASE_URL: databaseUrl, ELEMTA_SMTP_PORT: String(await freePort()),
    ELEMTA_SUBMISSION_PORT: '0', ELEMTA_HTTP_PORT: String(await freePort()), ELEMTA_NODE_NAME: name, ELEMTA_HOSTNAME: 'mx.elemta.test',
  });
  const elemta = await startElemta({ ...config, smtp: { ...config.smtp, disableReverseLookup: true } }, createLogger({ level: 'silent', node: name }));
  return { elemta, db: new pg.Pool({ connectionString: databaseUrl }), databaseUrl };
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'elemta-policies-'));
  const port = await freePort();
  const sink = async (domain: string, host: string, options: Parameters<typeof startSmtpSink>[0] = {}) => {
    sinks[domain] = await startSmtpSink({ host, port, ...options });
  };
  await Promise.all([
    ...['sender.test', 'dest.test', 'throttled.test', 'plain.test'].map((d) => sink(d, MX_DESTINATIONS[d as keyof typeof MX_DESTINATIONS])),
    sink('always451.test', MX_DESTINATIONS['always451.test'], { data: () => LAST_451 }),
    sink('rejectall.test', MX_DESTINATIONS['rejectall.test'], { rcptTo: () => REJECT_ALL }),
    sink('secure.test', MX_DESTINATIONS['secure.test'], { tls: { hostname: 'mx.secure.test' } }),
    sink(IMPLICIT_MX.domain, IMPLICIT_MX.ip),
  ]);
  const caFile = join(dir, 'secure-sink.pem');
  writeFileSync(caFile, sinks['secure.test']!.certificate!);
  dns = await startTestDnsServer({
    ...Object.fromEntries(Object.entries(MX_DESTINATIONS).flatMap(([domain, ip]) => [
      [domain, { MX: [{ exchange: `mx.${domain}`, priority: 10 }] }], [`mx.${domain}`, { A: [ip] }],
    ])),
    [IMPLICIT_MX.domain]: { A: [IMPLICIT_MX.ip] },
    'test': { SOA: {} },
  });
  [main, shortLived] = await Promise.all([
    startInstance('main', [
      'transports:',
      `  relay: { kind: relay, port: ${port}, connectTimeout: 2 }`,
      `  verified: { kind: relay, port: ${port}, connectTimeout: 2, tls: required-verified, caFile: "${caFile}" }`,
      'routes:',
      '  domains: { plain.test: verified, secure.test: verified }',
      '  rules:',
      '    - { senderDomain: bulk-sender.test, zone: bulk }',
      '    - { header: { name: X-Mail-Class, value: vip }, zone: vip, priority: high }',
      '    - { recipientDomain: throttled.test, zone: throttled }',
      // an hourly window: a minute's would make the test depend on where in the minute it runs
      `zones: { bulk: { bindAddresses: ["${BULK_SOURCE}"] }, vip: {}, throttled: { domainThrottle: 2/hour } }`,
      'retry: { initialDelay: 300ms, multiplier: 2, maxDelay: 5s, jitter: 0 }',
    ]),
    startInstance('short', [
      `transports: { relay: { kind: relay, port: ${port}, connectTimeout: 2 } }`,
      'retry: { initialDelay: 400ms, multiplier: 1, maxDelay: 400ms, jitter: 0, maxQueueTime: 3s }',
    ]),
  ]);
});

afterAll(async () => {
  for (const instance of [main, shortLived]) {
    await instance?.db.end();
    await instance?.elemta.stop();
  }
  await Promise.all(Object.values(sinks).map((s) => s.close()));
  await dns?.close();
  rmSync(dir, { recursive: true, force: true });
});

const send = async (
  to: Instance, from: string, rcpt: string[], subject: string, headers: Record<string, string> = {},
): Promise<string> => {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: to.elemta.ports.smtp, secure: false, ignoreTLS: true });
  const info = await transport.sendMail({ from, to: rcpt, subject, headers, text: `Body of ${subject}` });
  transport.close();
  return /queued as (\S+)$/.exec(info.response)![1]!;
};

type Row = { type: string; data: Record<string, any> };
const eventsOf = async (on: Instance, id: string): Promise<Row[]> =>
  (await on.db.query<Row>('SELECT type, data FROM events WHERE stream = $1 ORDER BY version', [`message-${id}`])).rows;
const typesOf = (events: readonly Row[]) => events.map((e) => e.type);
const waitForEvent = (on: Instance, id: string, type: string, timeoutMs = 10_000) =>
  eventually(async () => ((await eventsOf(on, id)).some((e) => e.type === type) ? eventsOf(on, id) : undefined), timeoutMs, 50);
const dsnIdOf = (events: readonly Row[]): string => events.find((e) => e.type === 'BounceQueued')!.data['dsnMessageId'];
const sunk = (domain: string, subject: string) =>
  eventually(async () => sinks[domain]!.messages.find((m) => m.body.toString().includes(`Subject: ${subject}`)), 10_000);
/** DSNs created for the message `id` (a DSN names the message it reports on in its annotations). */
const dsnsFor = async (on: Instance, id: string) =>
  (await on.db.query(`SELECT 1 FROM events WHERE type = 'MessageAccepted' AND data->'annotations'->>'elemta.dsnFor' = $1`, [id])).rowCount;

/** Appends a message as SMTP never would (e.g. a recipient without a domain), through the decider, body stored first. */
const injectMessage = async (on: Instance, mailFrom: string, rcptTo: string[]): Promise<string> => {
  const store = new PostgresEventStore({ pool: on.db, listenUrl: on.databaseUrl });
  const body = Buffer.from(`From: <${mailFrom}>\r\nSubject: injected\r\n\r\nhello\r\n`);
  const stored = await new PostgresBlobStore({ pool: on.db }).put(body);
  const messageId = newId();
  const now = new Date().toISOString();
  const command: AcceptMessage = {
    type: 'AcceptMessage',
    data: {
      messageId, sessionId: null, envelope: { mailFrom, rcptTo, params: {} }, sizeBytes: stored.sizeBytes, bodySha256: stored.sha256,
      bodyRef: stored.ref, headers: summarizeHeaders(body), authentication: null, client: null, listener: 'test', authUser: null,
      tls: null, annotations: {},
      recipients: planRecipients(rcptTo, { defaultRoute: 'relay', domains: {}, defaultZone: 'default', defaultPriority: 'normal' }, now),
    },
    metadata: { now },
  };
  await store.appendToStream(messageStream(asMessageId(messageId)), messageDecider.decide(command, messageDecider.initialState), {
    expectedVersion: 0, metadata: { correlationId: messageId, causationId: null, actor: 'system:test@e2e', node: 'e2e' },
  });
  await store.close();
  return messageId;
};

describe('delivery policies, end to end with real DNS and SMTP peers on loopback', () => {
  it('binds a sender-domain zone to its source address and routes by header to a high-priority zone', async () => {
    const bulk = await send(main, 'news@bulk-sender.test', ['reader@dest.test'], 'bulk mail');
    const vip = await send(main, 'boss@sender.test', ['assistant@dest.test'], 'vip mail', { 'X-Mail-Class': 'vip' });
    const bulkEvents = await waitForEvent(main, bulk, 'RecipientDelivered');
    expect(bulkEvents.find((e) => e.type === 'DeliveryAttempted')!.data).toMatchObject({ zone: 'bulk', localAddress: BULK_SOURCE });
    expect((await sunk('dest.test', 'bulk mail')).remoteAddress).toBe(BULK_SOURCE);

    const vipEvents = await waitForEvent(main, vip, 'RecipientDelivered');
    expect(vipEvents.find((e) => e.type === 'MessageQueued')!.data['recipients'])
      .toEqual([expect.objectContaining({ address: 'assistant@dest.test', zone: 'vip', priority: 'high' })]);
    expect(vipEvents.find((e) => e.type === 'DeliveryAttempted')!.data['zone']).toBe('vip');
    expect((await sunk('dest.test', 'vip mail')).remoteAddress).not.toBe(BULK_SOURCE);
  });

  it('delivers no more than the domain throttle allows and leaves the rest queued, unattempted', async () => {
    // the throttle counts in fixed windows: do not start in the last seconds of one
    const { rows: [clock] } = await main.db.query<{ left: string }>(`SELECT 3600 - mod(extract(epoch FROM now())::numeric, 3600) AS left`);
    if (Number(clock!.left) < 15) await new Promise((r) => setTimeout(r, (Number(clock!.left) + 1) * 1000));
    const ids = await Promise.all([1, 2, 3, 4].map((n) => send(main, 'alice@sender.test', [`r${n}@throttled.test`], `throttled ${n}`)));
    const delivered = async () => (await Promise.all(ids.map(async (id) => (await eventsOf(main, id)).some((e) => e.type === 'RecipientDelivered'))));
    await eventually(async () => ((await delivered()).filter(Boolean).length >= 2 ? true : undefined), 10_000);
    await new Promise((r) => setTimeout(r, 1500)); // time for a wrong third delivery to show

    const done = await delivered();
    expect(done.filter(Boolean)).toHaveLength(2);
    expect(sinks['throttled.test']!.messages).toHaveLength(2);
    const held = ids.filter((_, i) => !done[i]);
    for (const id of held) expect(typesOf(await eventsOf(main, id))).toEqual(['MessageAccepted', 'MessageQueued']);
    const { rows } = await main.db.query('SELECT message_id::text AS id, status, attempts, zone FROM queue WHERE message_id = ANY($1::uuid[])', [ids]);
    expect(rows.map((r) => r.id).sort()).toEqual([...held].sort());
    for (const row of rows) expect(row).toMatchObject({ status: 'queued', attempts: 0, zone: 'throttled' });
  });

  it('expires a message deferred until its maximum queue time and tells the sender with the last reply', async () => {
    const id = await send(shortLived, 'carol@sender.test', ['late@always451.test'], 'never accepted');
    const events = await waitForEvent(shortLived, id, 'BounceQueued', 15_000);
    expect(typesOf(events)).toContain('MessageExpired');
    expect(events.find((e) => e.type === 'MessageExpired')!.data['recipients']).toEqual(['late@always451.test']);
    expect(events.filter((e) => e.type === 'RecipientDeferred').length).toBeGreaterThanOrEqual(2);
    expect(events.some((e) => e.type === 'RecipientBounced')).toBe(false);

    const dsn = await eventually(async () => sinks['sender.test']!.messages.find((m) => m.body.toString().includes(id)), 10_000);
    expect(dsn.rcptTo).toEqual(['carol@sender.test']);
    const text = dsn.body.toString().replace(/\r\n/g, '\n');
    expect(text).toContain('Final-Recipient: rfc822; late@always451.test');
    expect(text).toContain('Action: failed');
    expect(text).toMatch(/Status: 5\.4\.7/);
    expect(text).toMatch(/expired/);
    expect(text).toContain(`${LAST_451.code} ${LAST_451.text}`);
  });

  it('states how long an expired message was queued, also when that is less than a day', async () => {
    const id = await send(shortLived, 'dave@sender.test', ['late@always451.test'], 'expired within seconds');
    await waitForEvent(shortLived, id, 'BounceQueued', 15_000);
    const dsn = await eventually(async () => sinks['sender.test']!.messages.find((m) => m.body.toString().includes(id)), 10_000);
    // 3 s in the queue is not "0 days" (dsn-sender.ts rounds the age to tenths of a day)
    expect(dsn.body.toString()).not.toMatch(/expired after 0 days/);
  });

  it('bounces a DSN that the sender refuses, without a DSN of the DSN', async () => {
    const id = await send(main, 'alice@rejectall.test', ['bob@rejectall.test'], 'refused both ways');
    const dsnId = dsnIdOf(await waitForEvent(main, id, 'BounceQueued'));
    const dsnEvents = await waitForEvent(main, dsnId, 'RecipientBounced');
    expect(dsnEvents.find((e) => e.type === 'MessageAccepted')!.data).toMatchObject({ envelope: { mailFrom: '', rcptTo: ['alice@rejectall.test'] } });
    expect(dsnEvents.find((e) => e.type === 'RecipientBounced')!.data['reply']).toMatchObject({ code: 550, enhancedCode: '5.1.1' });
    expect(typesOf(dsnEvents)).not.toContain('BounceQueued');
    expect(await dsnsFor(main, dsnId)).toBe(0);
  });

  it('bounces a recipient without a domain with 553 5.1.3 and keeps delivering', async () => {
    const id = await injectMessage(main, 'alice@sender.test', ['nodomain']);
    const events = await waitForEvent(main, id, 'RecipientBounced');
    expect(events.find((e) => e.type === 'RecipientBounced')!.data).toMatchObject({
      recipient: 'nodomain', reply: { code: 553, enhancedCode: '5.1.3' }, reason: 'recipient address has no domain',
    });
    expect(typesOf(events)).toContain('BounceQueued');
    const later = await send(main, 'alice@sender.test', ['after@dest.test'], 'after the bad one');
    await waitForEvent(main, later, 'RecipientDelivered');
  });

  it('bounces the DSN for a sender whose domain does not exist with 550 5.1.2, and stops there', async () => {
    const id = await send(main, 'bad@nxdomain-sender.test', ['someone@rejectall.test'], 'from nowhere');
    const dsnId = dsnIdOf(await waitForEvent(main, id, 'BounceQueued'));
    const dsnEvents = await waitForEvent(main, dsnId, 'RecipientBounced');
    expect(dsnEvents.find((e) => e.type === 'RecipientBounced')!.data).toMatchObject({
      recipient: 'bad@nxdomain-sender.test', reply: { code: 550, enhancedCode: '5.1.2' },
    });
    expect(typesOf(dsnEvents)).not.toContain('BounceQueued');
    expect(await dsnsFor(main, dsnId)).toBe(0);
  });

  it('delivers to the address of a domain that has no MX (implicit MX)', async () => {
    const id = await send(main, 'alice@sender.test', ['someone@implicit.test'], 'implicit mx');
    const events = await waitForEvent(main, id, 'RecipientDelivered');
    expect(events.find((e) => e.type === 'DeliveryAttempted')!.data).toMatchObject({ mxHost: 'implicit.test', mxAddress: IMPLICIT_MX.ip });
    expect((await sunk(IMPLICIT_MX.domain, 'implicit mx')).rcptTo).toEqual(['someone@implicit.test']);
  });

  it('with required-verified TLS, defers on a peer without STARTTLS and delivers to one whose certificate verifies', async () => {
    const plain = await send(main, 'alice@sender.test', ['x@plain.test'], 'needs tls');
    const secure = await send(main, 'alice@sender.test', ['y@secure.test'], 'verified tls');
    const plainEvents = await waitForEvent(main, plain, 'RecipientDeferred');
    expect(plainEvents.find((e) => e.type === 'RecipientDeferred')!.data['reply'])
      .toMatchObject({ code: 451, enhancedCode: expect.stringMatching(/^4\.7\.\d+$/), text: expect.stringContaining('STARTTLS') });
    expect(sinks['plain.test']!.messages).toHaveLength(0);

    const secureEvents = await waitForEvent(main, secure, 'RecipientDelivered');
    expect(secureEvents.find((e) => e.type === 'DeliveryAttempted')!.data['tls']).toMatchObject({ protocol: expect.stringMatching(/^TLSv1\.[23]$/) });
    expect((await sunk('secure.test', 'verified tls')).secure).toBe(true);
  });
});
