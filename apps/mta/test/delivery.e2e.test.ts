import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '@elemta/infra/config';
import { createLogger } from '@elemta/infra/logger';
import {
  createTestDatabase, eventually, failFirst, freePort, startSmtpSink, startTestDnsServer, type SmtpSink, type TestDnsServer,
} from '@elemta/infra/testing';
import { startElemta, type RunningElemta } from '../src/index.js';

let elemta: RunningElemta;
let dataDir: string;
let db: pg.Pool;
let dns: TestDnsServer;
const sinks: Record<string, SmtpSink> = {};

/** Each destination is a real smtp-server on its own loopback address, all on the relay port. */
const DESTINATIONS = {
  'a.test': { ip: '127.0.0.2' },
  'b.test': { ip: '127.0.0.3' },
  'sender.test': { ip: '127.0.0.4' },
  'defer.test': { ip: '127.0.0.5' },
  'reject.test': { ip: '127.0.0.6' },
  'tls.test': { ip: '127.0.0.7' },
  'drop.test': { ip: '127.0.0.8' },
} as const;

beforeAll(async () => {
  const relayPort = await freePort();
  const temporary = { code: 451, enhancedCode: '4.3.2', text: 'try again later' };
  sinks['a.test'] = await startSmtpSink({ host: DESTINATIONS['a.test'].ip, port: relayPort });
  sinks['b.test'] = await startSmtpSink({ host: DESTINATIONS['b.test'].ip, port: relayPort });
  sinks['sender.test'] = await startSmtpSink({ host: DESTINATIONS['sender.test'].ip, port: relayPort });
  sinks['defer.test'] = await startSmtpSink({ host: DESTINATIONS['defer.test'].ip, port: relayPort, data: failFirst(3, temporary) });
  sinks['reject.test'] = await startSmtpSink({
    host: DESTINATIONS['reject.test'].ip, port: relayPort,
    rcptTo: (address) => (address.startsWith('nobody@') ? { code: 550, enhancedCode: '5.1.1', text: 'no such user here' } : null),
  });
  sinks['tls.test'] = await startSmtpSink({ host: DESTINATIONS['tls.test'].ip, port: relayPort, tls: { hostname: 'mx.tls.test' }, requireTls: true });
  sinks['drop.test'] = await startSmtpSink({ host: DESTINATIONS['drop.test'].ip, port: relayPort, dropDuringDataAfterBytes: 10 });
  dns = await startTestDnsServer({
    ...Object.fromEntries(Object.entries(DESTINATIONS).flatMap(([domain, { ip }]) => [
      [domain, { MX: [{ exchange: `mx.${domain}`, priority: 10 }] }],
      [`mx.${domain}`, { A: [ip] }],
    ])),
    'nullmx.test': { MX: [{ exchange: '', priority: 0 }] },
    'servfail.test': 'SERVFAIL',
    'test': { SOA: {} },
  });
  dataDir = mkdtempSync(join(tmpdir(), 'elemta-delivery-'));
  const configFile = join(dataDir, 'elemta.yaml');
  writeFileSync(configFile, [
    'delivery:',
    '  mode: relay',
    `  transports: { relay: { kind: relay, port: ${relayPort}, connectTimeout: 2 } }`,
    `  dns: { servers: ["${dns.address}"], timeout: 1 }`,
    '  retry: { initialDelay: 300ms, multiplier: 2, maxDelay: 5s, jitter: 0 }',
    '  workers: { pollInterval: 100ms, lease: 10s }',
    '',
  ].join('\n'));
  const databaseUrl = await createTestDatabase(inject('postgresUrl'));
  const config = loadConfig({
    ELEMTA_CONFIG: configFile, ELEMTA_DATA_DIR: dataDir, DATABASE_URL: databaseUrl, ELEMTA_SMTP_PORT: String(await freePort()),
    ELEMTA_SUBMISSION_PORT: '0', ELEMTA_HTTP_PORT: String(await freePort()), ELEMTA_NODE_NAME: 'e2e', ELEMTA_HOSTNAME: 'mx.elemta.test',
  });
  elemta = await startElemta({ ...config, smtp: { ...config.smtp, disableReverseLookup: true } }, createLogger({ level: 'silent', node: 'e2e' }));
  db = new pg.Pool({ connectionString: databaseUrl });
});

afterAll(async () => {
  await db?.end();
  await elemta?.stop();
  await Promise.all(Object.values(sinks).map((s) => s.close()));
  await dns?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const send = async (from: string, to: string[], subject: string): Promise<string> => {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: elemta.ports.smtp, secure: false, ignoreTLS: true });
  const info = await transport.sendMail({ from, to, subject, text: `Body of ${subject}`, messageId: `<${subject.replace(/\W/g, '-')}@sender.test>` });
  transport.close();
  return /queued as (\S+)$/.exec(info.response)![1]!;
};

type Row = { type: string; data: Record<string, any> };
const eventsOf = async (id: string): Promise<Row[]> =>
  (await db.query<Row>('SELECT type, data FROM events WHERE stream = $1 ORDER BY version', [`message-${id}`])).rows;

/** Waits until the stream holds an event of `type` that `match` accepts. */
const waitForEvent = (id: string, type: string, match: (e: Row) => boolean = () => true, timeoutMs = 15_000) =>
  eventually(async () => ((await eventsOf(id)).some((e) => e.type === type && match(e)) ? eventsOf(id) : undefined), timeoutMs, 50);

describe('delivery, end to end with real DNS and SMTP peers on loopback', () => {
  it('delivers three recipients at two domains in two SMTP transactions, each reply in the timeline', async () => {
    const id = await send('alice@sender.test', ['one@a.test', 'two@a.test', 'three@b.test'], 'two domains');
    const events = await eventually(async () => {
      const e = await eventsOf(id);
      return e.filter((x) => x.type === 'RecipientDelivered').length === 3 ? e : undefined;
    }, 15_000);
    const [a] = await sinks['a.test']!.waitForMessages(1);
    const [b] = await sinks['b.test']!.waitForMessages(1);
    expect(a!.rcptTo).toEqual(['one@a.test', 'two@a.test']);
    expect(b!.rcptTo).toEqual(['three@b.test']);
    expect(a!.body.toString()).toContain('Subject: two domains');
    const attempts = events.filter((e) => e.type === 'DeliveryAttempted');
    expect(attempts).toHaveLength(2);
    for (const attempt of attempts) {
      expect(attempt.data).toMatchObject({ outcome: 'delivered', zone: 'default', reply: { code: 250 } });
      expect(attempt.data['mxHost']).toMatch(/^mx\.[ab]\.test$/);
    }
    expect(events.filter((e) => e.type === 'RecipientDelivered').map((e) => e.data['reply'].code)).toEqual([250, 250, 250]);
  });

  it('defers three times on 451 with growing intervals, then delivers; the timeline shows all four attempts', async () => {
    const id = await send('alice@sender.test', ['later@defer.test'], 'deferred thrice');
    const events = await waitForEvent(id, 'RecipientDelivered', () => true, 20_000);
    const attempts = events.filter((e) => e.type === 'DeliveryAttempted');
    expect(attempts.map((e) => e.data['outcome'])).toEqual(['deferred', 'deferred', 'deferred', 'delivered']);
    const deferrals = events.filter((e) => e.type === 'RecipientDeferred');
    expect(deferrals.map((e) => e.data['attempt'])).toEqual([1, 2, 3]);
    expect(deferrals[0]!.data['reply']).toMatchObject({ code: 451, enhancedCode: '4.3.2' });
    const waits = deferrals.map((e) => Date.parse(e.data['nextAttemptAt']) - Date.parse(e.data['at']));
    expect(waits).toEqual([300, 600, 1200]);
    expect(events.filter((e) => e.type === 'RetryScheduled')).toHaveLength(3);
  });

  it('bounces a 550 at once and sends a DSN to the sender with the original headers', async () => {
    const id = await send('alice@sender.test', ['nobody@reject.test'], 'bounce me');
    const events = await waitForEvent(id, 'BounceQueued');
    const bounced = events.find((e) => e.type === 'RecipientBounced')!;
    expect(bounced.data['reply']).toMatchObject({ code: 550, enhancedCode: '5.1.1' });
    const dsnId = events.find((e) => e.type === 'BounceQueued')!.data['dsnMessageId'];
    const dsn = await eventually(async () => sinks['sender.test']!.messages.find((m) => m.body.toString().includes(id)), 15_000);
    expect(dsn.mailFrom).toBe('');
    expect(dsn.rcptTo).toEqual(['alice@sender.test']);
    const text = dsn.body.toString();
    expect(text).toContain('Content-Type: multipart/report; report-type=delivery-status;');
    expect(text).toContain('Final-Recipient: rfc822; nobody@reject.test');
    expect(text).toContain('Status: 5.1.1');
    expect(text).toContain('Diagnostic-Code: smtp; 550 5.1.1 no such user here');
    expect(text).toContain('Subject: bounce me'); // the original headers are attached
    const dsnEvents = await waitForEvent(dsnId, 'RecipientDelivered');
    expect(dsnEvents[0]!.data['annotations']).toEqual({ 'elemta.dsnFor': id });
  });

  it('bounces a null MX and an unknown domain with clear replies, and defers on SERVFAIL', async () => {
    const id = await send('alice@sender.test', ['x@nullmx.test', 'y@nxdomain.test', 'z@servfail.test'], 'dns outcomes');
    const events = await eventually(async () => {
      const e = await eventsOf(id);
      return e.some((x) => x.type === 'RecipientDeferred') && e.filter((x) => x.type === 'RecipientBounced').length === 2 ? e : undefined;
    }, 15_000);
    const reply = (type: string, rcpt: string) => events.find((e) => e.type === type && e.data['recipient'] === rcpt)!.data['reply'];
    expect(reply('RecipientBounced', 'x@nullmx.test')).toMatchObject({ code: 556, enhancedCode: '5.1.10' });
    expect(reply('RecipientBounced', 'y@nxdomain.test')).toMatchObject({ code: 550, enhancedCode: '5.1.2' });
    expect(reply('RecipientDeferred', 'z@servfail.test')).toMatchObject({ code: 451, enhancedCode: '4.4.3' });
    // a DSN per failed destination, the deferred recipient still pending
    const bounce = events.filter((e) => e.type === 'BounceQueued');
    expect(bounce.map((e) => e.data['recipients']).sort()).toEqual([['x@nullmx.test'], ['y@nxdomain.test']]);
    expect(events.some((e) => e.type === 'MessageExpired')).toBe(false);
  });

  it('upgrades to TLS when the peer offers STARTTLS with a self-signed certificate (opportunistic)', async () => {
    const id = await send('alice@sender.test', ['secure@tls.test'], 'over tls');
    const events = await waitForEvent(id, 'RecipientDelivered');
    const attempt = events.find((e) => e.type === 'DeliveryAttempted')!;
    expect(attempt.data['tls']).toMatchObject({ protocol: expect.stringMatching(/^TLSv1\.[23]$/) });
    const [received] = await sinks['tls.test']!.waitForMessages(1);
    expect(received!.secure).toBe(true);
  });

  it('defers when the peer drops the connection in the middle of DATA', async () => {
    const id = await send('alice@sender.test', ['cut@drop.test'], 'dropped');
    const events = await waitForEvent(id, 'RecipientDeferred');
    expect(events.find((e) => e.type === 'RecipientDeferred')!.data['reply']).toMatchObject({ code: 451, enhancedCode: '4.4.2' });
  });
});
