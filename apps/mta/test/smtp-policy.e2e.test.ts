import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PostgresBlobStore } from '@elemta/infra/blob-store';
import { loadConfig } from '@elemta/infra/config';
import { createLogger } from '@elemta/infra/logger';
import {
  createTestDatabase, dkimSignTestMessage, eventually, freePort, generateDkimKey, mailAuthZones, mergeTestZones, RawSmtpClient, spfRecord,
  startTestDnsServer, type DkimTestKey, type TestDnsServer,
} from '@elemta/infra/testing';
import { startElemta, type RunningElemta } from '../src/index.js';

// Clients from 127.0.0.2 are outside the default relay networks (127.0.0.1/32, ::1/128): an MX's view of the Internet.
const OUTSIDE = '127.0.0.2';
const MAX_PER_IP = 6;
const MAX_MESSAGES = 3;

let elemta: RunningElemta;
let dataDir: string;
let dns: TestDnsServer;
let db: pg.Pool;
let key: DkimTestKey;
const logLines: string[] = [];

const HEADER_CHECKS = fileURLToPath(new URL('../examples/plugins/header-checks.plugin.mjs', import.meta.url));

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'elemta-policy-e2e-'));
  key = await generateDkimKey('rsa');
  dns = await startTestDnsServer(mergeTestZones(
    // signed.test's mail leaves through an ESP (esp.test): SPF passes for the ESP, so DMARC rests on DKIM alone
    mailAuthZones({ domain: 'signed.test', spf: spfRecord(['ip4:192.0.2.0/24']), dmarc: { p: 'reject' }, dkim: [{ selector: 'sel', key }] }),
    mailAuthZones({ domain: 'esp.test', spf: spfRecord(['ip4:127.0.0.0/8']) }),
    mailAuthZones({ domain: 'quarantined.test', spf: spfRecord(['ip4:192.0.2.0/24']), dmarc: { p: 'quarantine' } }),
  ));
  // A plugin of our own that breaks on one recipient: its failure must cost that command only, never the session.
  const broken = join(dataDir, 'broken.plugin.mjs');
  // (and quarantines every message of a session from 127.0.0.5, decided at connect)
  writeFileSync(broken, `export default { name: 'broken', setup: () => ({
    connect: ({ session }) => session.client.address === '127.0.0.5' ? { kind: 'quarantine', reason: 'client on watch' } : { kind: 'continue' },
    rcpt: ({ args }) => { if (args.address.startsWith('boom@')) throw new Error('plugin bug on purpose'); return { kind: 'continue' }; },
  }) };\n`);
  const databaseUrl = await createTestDatabase(inject('postgresUrl'));
  writeFileSync(join(dataDir, 'elemta.yaml'), JSON.stringify({
    smtp: {
      disableReverseLookup: true, maxConnectionsPerIp: MAX_PER_IP, maxMessagesPerSession: MAX_MESSAGES,
      relay: { localDomains: ['example.org'] },
      listeners: [
        { name: 'mx', role: 'mx', port: await freePort() },
        { name: 'submission', role: 'submission', port: await freePort() },
        { name: 'smtps', role: 'smtps', port: await freePort() },
        // a listener of its own with short limits: 1 s per session, 700 ms idle
        { name: 'brief', role: 'mx', port: await freePort(), sessionTimeoutMs: 1000, socketTimeoutMs: 700 },
      ],
    },
    delivery: { workers: { enabled: false }, dns: { servers: [dns.address], timeout: 2 } },
    policy: {
      plugins: [
        { name: 'email-auth', config: { dmarc: 'enforce' } },
        { name: 'default-headers' },
        { name: 'broken', module: broken },
        { name: 'header-checks', module: HEADER_CHECKS, config: { rules: [{ header: 'X-Mailer', pattern: '^MassMailer', action: 'quarantine' }] } },
      ],
    },
  }));
  const config = loadConfig({
    ELEMTA_CONFIG: join(dataDir, 'elemta.yaml'), ELEMTA_DATA_DIR: dataDir, DATABASE_URL: databaseUrl, ELEMTA_HTTP_PORT: String(await freePort()),
    ELEMTA_NODE_NAME: 'e2e', ELEMTA_HOSTNAME: 'mx.elemta.test',
  });
  const destination = new Writable({ write(chunk, _enc, done) { logLines.push(...String(chunk).split('\n').filter(Boolean)); done(); } });
  elemta = await startElemta(config, createLogger({ level: 'warn', node: 'e2e', destination }));
  db = new pg.Pool({ connectionString: databaseUrl });
});

afterAll(async () => {
  await db?.end();
  await elemta?.stop();
  await dns?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const message = (from: string, subject: string, extra = '') =>
  `From: <${from}>\r\nTo: <postmaster@example.org>\r\nSubject: ${subject}\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n` +
  `Message-ID: <${Math.random().toString(36).slice(2)}@signed.test>\r\n${extra}\r\nHello.\r\n`;

/** One message over plain SMTP from `localAddress`; resolves with the reply code and text either way. */
const send = (raw: Buffer | string, envelope: { from: string; to: string[] }, localAddress = OUTSIDE) =>
  nodemailer.createTransport({ host: '127.0.0.1', port: elemta.ports.smtp, secure: false, ignoreTLS: true, localAddress })
    .sendMail({ envelope, raw })
    .then((info) => ({ code: Number(info.response.slice(0, 3)), response: info.response }),
      (err: { responseCode?: number; response?: string; message: string }) => ({ code: err.responseCode ?? -1, response: err.response ?? err.message }));

const queuedId = (response: string) => /queued as ([0-9a-f-]{36})/.exec(response)?.[1];
const eventsOf = async (stream: string) =>
  (await db.query<{ type: string; data: Record<string, unknown> }>('SELECT type, data FROM events WHERE stream = $1 ORDER BY version', [stream])).rows;
const policyEvents = async (where: string, params: unknown[] = []) =>
  (await db.query<{ stream: string; data: Record<string, unknown> }>(`SELECT stream, data FROM events WHERE type = 'PolicyEvaluated' AND ${where} ORDER BY position`, params)).rows;

describe('relay control on the mx listener', () => {
  it('refuses relaying for a client outside the relay networks with 554 5.7.1, and accepts its mail for local domains', async () => {
    const { client } = await RawSmtpClient.open(elemta.ports.smtp, '127.0.0.1', OUTSIDE);
    await client.command('EHLO outside.test');
    expect((await client.command('MAIL FROM:<someone@elsewhere.test>')).code).toBe(250);
    const relay = await client.command('RCPT TO:<victim@third-party.test>');
    expect(relay.code).toBe(554);
    expect(relay.lines[0]).toBe('554 5.7.1 <victim@third-party.test>: Relay access denied');
    expect((await client.command('RCPT TO:<postmaster@example.org>')).code).toBe(250); // the session goes on
    await client.command('QUIT');
    const verdicts = await eventually(async () => {
      const rows = await policyEvents("data->>'plugin' = 'relay-control'");
      return rows.length > 0 ? rows : undefined;
    }, 3000, 25);
    expect(verdicts[0]!.stream).toMatch(/^session-/);
    expect(verdicts[0]!.data).toMatchObject({ stage: 'rcpt', verdict: 'reject', reply: { code: 554, enhancedCode: '5.7.1' } });
  });

  it('lets a client in the relay networks (loopback, as on the first npm start) relay anywhere', async () => {
    const sent = await send(message('me@anywhere.test', 'outbound'), { from: 'me@anywhere.test', to: ['you@third-party.test'] }, '127.0.0.1');
    expect(sent.code, sent.response).toBe(250);
  });
});

describe('email authentication on inbound mail', () => {
  it('passes SPF, DKIM and DMARC for a message signed by a domain whose key is published, and records the results', async () => {
    const signed = await dkimSignTestMessage(message('alice@signed.test', 'Signed and sealed'), { domain: 'signed.test', selector: 'sel', key });
    // a header claiming our authserv-id, added on the way: removed before ours is added (RFC 8601 §5)
    const forged = Buffer.concat([Buffer.from('Authentication-Results: mx.elemta.test; dmarc=pass (forged upstream)\r\n'), signed]);
    const sent = await send(forged, { from: 'bounces@esp.test', to: ['postmaster@example.org'] });
    expect(sent.code, sent.response).toBe(250);
    const id = queuedId(sent.response)!;
    const [accepted, , evaluated] = await eventsOf(`message-${id}`);
    expect(accepted!.data['authentication']).toMatchObject({ spf: { result: 'pass' }, dkim: { result: 'pass' }, dmarc: { result: 'pass' } });
    expect(evaluated).toMatchObject({ type: 'PolicyEvaluated', data: { plugin: 'email-auth', stage: 'data', verdict: 'tag', messageId: id } });
    const body = Buffer.from((await new PostgresBlobStore({ pool: db }).get(accepted!.data['bodySha256'] as string))!).toString();
    expect(body).toMatch(/^Authentication-Results: mx\.elemta\.test;/);
    expect(body).toMatch(/dkim=pass[^\r\n]*\r?\n?[^\r\n]*header\.[ds]=/);
    expect(body.slice(0, body.indexOf('Received: from'))).toMatch(/dmarc=pass/);
    expect(body.indexOf('Authentication-Results:')).toBeLessThan(body.indexOf('Received: from'));
    expect(body).not.toContain('forged upstream');
    expect(body.match(/^Authentication-Results:/gm)).toHaveLength(1);
  });

  it('fails DKIM when one signed header is altered, and refuses it with 550 5.7.1 under p=reject, naming DMARC', async () => {
    const signed = (await dkimSignTestMessage(message('alice@signed.test', 'Original subject'), { domain: 'signed.test', selector: 'sel', key })).toString();
    const tampered = signed.replace('Subject: Original subject', 'Subject: Altered subject');
    const before = (await policyEvents("data->>'plugin' = 'email-auth' AND data->>'verdict' = 'reject'")).length;
    const sent = await send(tampered, { from: 'bounces@esp.test', to: ['postmaster@example.org'] });
    expect(sent.code).toBe(550);
    expect(sent.response).toMatch(/^550 5\.7\.1 Message rejected by DMARC policy of signed\.test/);
    const rejected = await eventually(async () => {
      const rows = await policyEvents("data->>'plugin' = 'email-auth' AND data->>'verdict' = 'reject'");
      return rows.length > before ? rows.at(-1) : undefined;
    }, 3000, 25);
    expect(rejected!.stream).toMatch(/^session-/);
    expect(rejected!.data).toMatchObject({ stage: 'data', messageId: null, reply: { code: 550, enhancedCode: '5.7.1' } });
    expect(String(rejected!.data['reason'])).toMatch(/^dmarc=fail \(p=reject\) header\.from=signed\.test/);
  });

  it('quarantines a DMARC failure under p=quarantine: accepted, held, with its Authentication-Results', async () => {
    const sent = await send(message('bob@quarantined.test', 'Unaligned'), { from: 'bob@quarantined.test', to: ['postmaster@example.org'] });
    expect(sent.code, sent.response).toBe(250);
    const events = await eventsOf(`message-${queuedId(sent.response)}`);
    expect(events.map((e) => e.type)).toEqual(['MessageAccepted', 'MessageQueued', 'PolicyEvaluated', 'MessageHeld']);
    expect(events[3]!.data).toMatchObject({ actor: 'policy:email-auth', reason: expect.stringMatching(/^quarantine: dmarc=fail \(p=quarantine\)/) });
    expect(events[0]!.data['authentication']).toMatchObject({ spf: { result: 'fail' }, dmarc: { result: 'fail' } });
  });
});

describe('plugins', () => {
  it('answers a throwing plugin with the configured default (451 4.3.0), logs it with the plugin name, and the session goes on', async () => {
    const { client } = await RawSmtpClient.open(elemta.ports.smtp, '127.0.0.1', OUTSIDE);
    await client.command('EHLO outside.test');
    await client.command('MAIL FROM:<x@elsewhere.test>');
    const boom = await client.command('RCPT TO:<boom@example.org>');
    expect(boom.lines[0]).toBe('451 4.3.0 Temporary policy failure, please try again later');
    expect((await client.command('RCPT TO:<postmaster@example.org>')).code).toBe(250);
    expect((await client.command('DATA')).code).toBe(354);
    const done = await client.command('Subject: still here\r\n\r\nThe session survived.\r\n.');
    expect(done.code).toBe(250);
    await client.command('QUIT');
    const line = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['msg'] === 'policy plugin broken failed: plugin bug on purpose');
    expect(line).toMatchObject({ level: 'error', plugin: 'broken', stage: 'rcpt', onError: 'tempfail' });
  });

  it('holds every message of a session that a connect-stage plugin quarantined', async () => {
    const { client } = await RawSmtpClient.open(elemta.ports.smtp, '127.0.0.1', '127.0.0.5');
    await client.command('EHLO watched.test');
    for (let i = 0; i < 2; i++) {
      await client.command('MAIL FROM:<me@anywhere.test>');
      await client.command('RCPT TO:<postmaster@example.org>');
      await client.command('DATA');
      const done = await client.command(`Subject: watched ${i}\r\n\r\nbody\r\n.`);
      expect(done.code).toBe(250);
      const events = await eventsOf(`message-${queuedId(done.text)}`);
      expect(events.at(-1)).toMatchObject({ type: 'MessageHeld', data: { actor: 'policy:broken', reason: 'quarantine: client on watch' } });
    }
    await client.command('QUIT');
  });

  it('quarantines through the README example plugin loaded from its module path', async () => {
    const sent = await send(message('me@anywhere.test', 'Newsletter', 'X-Mailer: MassMailer 9\r\n'), { from: 'me@anywhere.test', to: ['postmaster@example.org'] }, '127.0.0.1');
    expect(sent.code, sent.response).toBe(250);
    const events = await eventsOf(`message-${queuedId(sent.response)}`);
    expect(events.at(-1)).toMatchObject({ type: 'MessageHeld', data: { actor: 'policy:header-checks' } });
  });

  it('adds Message-ID and Date for a trusted client that left them out (default-headers)', async () => {
    const sent = await send('From: <me@anywhere.test>\r\nSubject: bare\r\n\r\nNo id, no date.\r\n', { from: 'me@anywhere.test', to: ['postmaster@example.org'] }, '127.0.0.1');
    expect(sent.code, sent.response).toBe(250);
    const [accepted] = await eventsOf(`message-${queuedId(sent.response)}`);
    const headers = accepted!.data['headers'] as { messageId: string | null; date: string | null };
    expect(headers.messageId).toMatch(/^<[^@]+@mx\.elemta\.test>$/);
    expect(headers.date).toMatch(/^\w{3}, \d{1,2} \w{3} \d{4} /);
  });

  it('counts verdicts by plugin, stage and outcome in the metrics', async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${elemta.ports.http}/metrics`)).text();
    expect(metrics).toMatch(/elemta_policy_verdicts_total\{plugin="broken",stage="rcpt",verdict="error"\} [1-9]/);
    expect(metrics).toMatch(/elemta_policy_verdicts_total\{plugin="email-auth",stage="data",verdict="reject"\} [1-9]/);
  });
});

describe('TLS and limits', () => {
  const ca = () => readFileSync(join(dataDir, 'tls', 'self-signed-cert.pem'));

  it('offers STARTTLS with the self-signed certificate made on first start, and serves implicit TLS on smtps', async () => {
    const starttls = await nodemailer.createTransport({
      host: '127.0.0.1', port: elemta.ports.smtp, secure: false, requireTLS: true, tls: { ca: [ca()], servername: 'mx.elemta.test' },
    }).sendMail({ envelope: { from: 'me@anywhere.test', to: ['postmaster@example.org'] }, raw: message('me@anywhere.test', 'over TLS') });
    expect(starttls.response).toMatch(/^250 /);
    const [accepted] = await eventsOf(`message-${queuedId(starttls.response)}`);
    expect(accepted!.data['tls']).toMatchObject({ protocol: expect.stringMatching(/^TLSv1\.[23]$/) });

    const socket = tlsConnect({ host: '127.0.0.1', port: elemta.ports.smtps!, ca: [ca()], servername: 'mx.elemta.test' });
    const greeting = await new Promise<string>((resolve, reject) => { socket.once('data', (d) => resolve(String(d))); socket.once('error', reject); });
    expect(greeting).toMatch(/^220 mx\.elemta\.test ESMTP/);
    expect(socket.getProtocol()).toMatch(/^TLSv1\.[23]$/);
    socket.end();

    const metrics = await (await fetch(`http://127.0.0.1:${elemta.ports.http}/metrics`)).text();
    expect(metrics).toMatch(/elemta_smtp_tls_sessions_total\{listener="mx",protocol="TLSv1\.3"\} [1-9]/);
    expect(metrics).toMatch(/elemta_smtp_tls_sessions_total\{listener="smtps",protocol="TLSv1\.3"\} [1-9]/);
  });

  it(`refuses connection ${MAX_PER_IP + 1} from one address with 421 while other addresses still get in`, async () => {
    const open = await Promise.all(Array.from({ length: MAX_PER_IP }, () => RawSmtpClient.open(elemta.ports.smtp, '127.0.0.1', '127.0.0.3')));
    expect(open.map((o) => o.greeting.code)).toEqual(Array(MAX_PER_IP).fill(220));
    const extra = await RawSmtpClient.open(elemta.ports.smtp, '127.0.0.1', '127.0.0.3');
    expect(extra.greeting.lines[0]).toMatch(/^421 4\.7\.0 .*Too many connections from your address/);
    const other = await RawSmtpClient.open(elemta.ports.smtp, '127.0.0.1', '127.0.0.4');
    expect(other.greeting.code).toBe(220);
    for (const { client } of [...open, other]) client.close();
    extra.client.close();
  });

  it(`closes a session with 421 at message ${MAX_MESSAGES + 1}`, async () => {
    const { client } = await RawSmtpClient.open(elemta.ports.smtp, '127.0.0.1');
    await client.command('EHLO client.test');
    for (let i = 0; i < MAX_MESSAGES; i++) {
      expect((await client.command('MAIL FROM:<me@anywhere.test>')).code).toBe(250);
      expect((await client.command('RCPT TO:<postmaster@example.org>')).code).toBe(250);
      expect((await client.command('DATA')).code).toBe(354);
      expect((await client.command(`Subject: ${i}\r\n\r\nbody\r\n.`)).code).toBe(250);
    }
    const refused = await client.command('MAIL FROM:<me@anywhere.test>');
    expect(refused.lines[0]).toMatch(/^421 4\.7\.0 .*Too many messages in this session/);
    await client.closed();
  });

  it('ends a session that stays too long, and one that idles, with 421', async () => {
    const busy = await RawSmtpClient.open(elemta.ports.listeners['brief']!);
    const started = Date.now();
    let last = await busy.client.command('EHLO client.test');
    while (last.code === 250 && Date.now() - started < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      last = await busy.client.command('NOOP').catch(() => ({ code: -1, lines: [], text: '' }));
    }
    // the 421 arrives on its own, and is read as the reply to the next NOOP
    expect(last.lines[0]).toMatch(/^421 4\.4\.2 mx\.elemta\.test Session time limit exceeded/);
    await busy.client.closed();

    const idle = await RawSmtpClient.open(elemta.ports.listeners['brief']!);
    expect((await idle.client.next(3000)).lines[0]).toMatch(/^421 /);
    await idle.client.closed();
  });
});
