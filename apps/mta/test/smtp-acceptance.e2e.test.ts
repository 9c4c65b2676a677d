import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FileBlobStore, PostgresBlobStore, TieredBlobStore } from '@elemta/infra/blob-store';
import { loadConfig } from '@elemta/infra/config';
import { createLogger } from '@elemta/infra/logger';
import { startElemta, type RunningElemta } from '../src/index.js';
import { createTestDatabase, eventually, freePort, graphqlRequest, RawSmtpClient, sendRaw } from '@elemta/infra/testing';

const MAX_SIZE = 64 * 1024;
let elemta: RunningElemta;
let dataDir: string;
let adminKey: string;
let db: pg.Pool;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'elemta-e2e-'));
  const databaseUrl = await createTestDatabase(inject('postgresUrl'));
  const config = loadConfig({
    ELEMTA_DATA_DIR: dataDir, DATABASE_URL: databaseUrl, ELEMTA_SMTP_PORT: String(await freePort()),
    ELEMTA_SUBMISSION_PORT: '0', ELEMTA_HTTP_PORT: String(await freePort()), ELEMTA_LOG_LEVEL: 'silent',
    ELEMTA_MAX_MESSAGE_SIZE: String(MAX_SIZE), ELEMTA_NODE_NAME: 'e2e', ELEMTA_HOSTNAME: 'mx.elemta.test',
    ELEMTA_DELIVERY_WORKERS: 'false', // messages stay queued: this file is about acceptance
  });
  elemta = await startElemta({ ...config, smtp: { ...config.smtp, disableReverseLookup: true } }, createLogger({ level: 'silent', node: 'e2e' }));
  adminKey = readFileSync(join(dataDir, 'admin.key'), 'utf8').trim();
  db = new pg.Pool({ connectionString: databaseUrl });
});

afterAll(async () => {
  await db?.end();
  await elemta?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const MESSAGE_QUERY = `query ($id: ID!) { message(id: $id) {
  id status mailFrom subject messageIdHeader size receivedAt recipients { address status }
  events { position version type recordedAt data } } }`;

const transport = () => nodemailer.createTransport({ host: '127.0.0.1', port: elemta.ports.smtp, secure: false, ignoreTLS: true });

describe('SMTP acceptance, end to end', () => {
  it('answers 250 2.0.0 only once the message is stored, and shows it through GraphQL within a second', async () => {
    const info = await transport().sendMail({
      from: 'alice@example.org', to: ['bob@example.net', 'carol@example.com'], subject: 'Quarterly report',
      text: 'Numbers attached.', messageId: '<report-1@example.org>',
    });
    const match = /^250 2\.0\.0 Ok: queued as ([0-9a-f-]{36})$/.exec(info.response);
    expect(match, info.response).not.toBeNull();
    const id = match![1]!;
    const acknowledgedAt = Date.now();

    // durable before the 250: both events are in the log and the body is on disk
    const { rows } = await db.query('SELECT type FROM events WHERE stream = $1 ORDER BY version', [`message-${id}`]);
    expect(rows.map((r) => r.type)).toEqual(['MessageAccepted', 'MessageQueued']);

    const message = await eventually(async () => {
      const { body } = await graphqlRequest<{ message: Record<string, any> | null }>(elemta.ports.http, adminKey, MESSAGE_QUERY, { id });
      return body.data?.message ?? undefined;
    }, 1000, 10);
    // one projection writes the row and the timeline in one transaction: visible together or not at all
    const visibleAfterMs = Date.now() - acknowledgedAt;
    expect(visibleAfterMs).toBeLessThan(1000);
    expect(message).toMatchObject({
      id, status: 'QUEUED', mailFrom: 'alice@example.org', subject: 'Quarterly report', messageIdHeader: '<report-1@example.org>',
      recipients: [{ address: 'bob@example.net', status: 'QUEUED' }, { address: 'carol@example.com', status: 'QUEUED' }],
    });
    expect(message.events.map((e: { type: string }) => e.type)).toEqual(['MessageAccepted', 'MessageQueued']);
    expect(message.events.map((e: { version: number }) => e.version)).toEqual([1, 2]);

    const accepted = message.events[0].data;
    const blobs = new TieredBlobStore(new PostgresBlobStore({ pool: db }), new FileBlobStore({ dir: join(dataDir, 'blobs') }), 65536);
    const body = Buffer.from((await blobs.get(accepted.bodyRef))!).toString();
    expect(body).toMatch(/^Received: from \S+ \(unknown \[127\.0\.0\.1\]\)\r\n\tby mx\.elemta\.test \(Elemta\) with ESMTP id /);
    expect(body).toContain('Numbers attached.');
    expect(accepted.sizeBytes).toBe(Buffer.byteLength(body));
  });

  it('finds messages by sender, recipient and Message-ID header', async () => {
    await sendRaw(elemta.ports.smtp, 'dora@filter.test', ['eve@example.net'], 'Subject: filter me\r\nMessage-ID: <filter-1@filter.test>\r\n\r\nhello');
    const query = `query ($f: MessageFilter) { messages(filter: $f, first: 10) { totalCount edges { node { mailFrom subject } } } }`;
    for (const filter of [{ sender: 'dora@filter.test' }, { recipient: 'EVE@example.net' }, { messageIdHeader: '<filter-1@filter.test>' }]) {
      const page = await eventually(async () => {
        const { body } = await graphqlRequest<{ messages: { totalCount: number; edges: Array<{ node: { subject: string } }> } }>(elemta.ports.http, adminKey, query, { f: filter });
        return body.data?.messages.totalCount === 1 ? body.data.messages : undefined;
      });
      expect(page.edges[0]!.node.subject).toBe('filter me');
    }
  });

  it('records the session from start to end in its own stream', async () => {
    await sendRaw(elemta.ports.smtp, 'sess@example.org', ['x@example.net'], 'Subject: s\r\n\r\nbody');
    const types = await eventually(async () => {
      const { rows } = await db.query(`SELECT stream, array_agg(type ORDER BY version) AS types FROM events
        WHERE stream LIKE 'session-%' AND data->'client'->>'address' IS NOT NULL OR type = 'SessionEnded' GROUP BY stream`);
      const ended = rows.find((r) => r.types.includes('SessionStarted') && r.types.includes('SessionEnded'));
      return ended?.types as string[] | undefined;
    });
    expect(types[0]).toBe('SessionStarted');
    expect(types.at(-1)).toBe('SessionEnded');
  });
});

describe('internationalised mail (RFC 6531, RFC 6152)', () => {
  it('accepts a UTF-8 address with SMTPUTF8, refuses it without, and stores an 8-bit body byte for byte', async () => {
    const { client } = await RawSmtpClient.open(elemta.ports.smtp);
    try {
      await client.command('EHLO client.test');
      expect((await client.command('MAIL FROM:<jörg@exämple.org>')).code).toBeGreaterThanOrEqual(500);
      expect((await client.command('MAIL FROM:<jörg@exämple.org> SMTPUTF8 BODY=8BITMIME')).code).toBe(250);
      expect((await client.command('RCPT TO:<zoë@example.net>')).code).toBe(250);
      expect((await client.command('DATA')).code).toBe(354);
      const content = 'Subject: Grüße aus Köln\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nÜber 8-bit: ä ö ü ß € 日本\r\n';
      client.write(Buffer.from(`${content}.\r\n`, 'utf8'));
      const reply = await client.next();
      expect(reply.code).toBe(250);
      const id = /queued as (\S+)/.exec(reply.text)![1]!;
      const { rows } = await db.query(`SELECT data FROM events WHERE stream = $1 AND type = 'MessageAccepted'`, [`message-${id}`]);
      const accepted = rows[0].data;
      expect(accepted.envelope).toMatchObject({ mailFrom: 'jörg@exämple.org', rcptTo: ['zoë@example.net'], params: { SMTPUTF8: 'true', BODY: '8BITMIME' } });
      expect(accepted.headers.subject).toBe('Grüße aus Köln');
      const blobs = new TieredBlobStore(new PostgresBlobStore({ pool: db }), new FileBlobStore({ dir: join(dataDir, 'blobs') }), 65536);
      const stored = Buffer.from((await blobs.get(accepted.bodyRef))!);
      expect(stored.subarray(stored.indexOf('Subject:')).equals(Buffer.from(content, 'utf8'))).toBe(true);
    } finally {
      client.close();
    }
  });
});

describe('bad SMTP input', () => {
  it('answers a malformed MAIL FROM with 501 and lets the session go on', async () => {
    const { client } = await RawSmtpClient.open(elemta.ports.smtp);
    try {
      expect((await client.command('EHLO client.test')).code).toBe(250);
      for (const bad of ['MAIL FROM:<a..b@example.org>', 'MAIL FROM:<no-at-sign>', 'MAIL FROM:<a@exa mple.org>', 'MAIL FROM:<a@>']) {
        const reply = await client.command(bad);
        expect(reply.code, bad).toBe(501);
      }
      expect((await client.command('MAIL FROM:<fine@example.org>')).code).toBe(250);
      expect((await client.command('RCPT TO:<not an address>')).code).toBe(501);
      expect((await client.command('RCPT TO:<ok@example.net>')).code).toBe(250);
      expect((await client.command('RSET')).code).toBe(250);
      expect((await client.command('MAIL FROM:<>')).code).toBe(250); // the null reverse-path is valid (bounces)
      expect((await client.command('QUIT')).code).toBe(221);
    } finally {
      client.close();
    }
  });

  it('records refused senders and recipients as events of their session', async () => {
    const { client } = await RawSmtpClient.open(elemta.ports.smtp);
    const port = client.localPort;
    try {
      await client.command('EHLO client.test');
      for (const bad of ['MAIL FROM:<a..b@example.org>', 'MAIL FROM:<no-at-sign>']) await client.command(bad);
      await client.command('MAIL FROM:<fine@example.org>');
      await client.command('RCPT TO:<not an address>');
      await client.command('QUIT');
    } finally {
      client.close();
    }
    const events = await eventually(async () => {
      const { rows } = await db.query(`SELECT e.type, e.data FROM events e
        WHERE e.stream = (SELECT stream FROM events WHERE type = 'SessionStarted' AND (data->'client'->>'port')::int = $1 ORDER BY position DESC LIMIT 1)
        ORDER BY e.version`, [port]);
      return rows.some((r) => r.type === 'SessionEnded') ? rows : undefined;
    });
    expect(events.map((r) => r.type)).toEqual(['SessionStarted', 'SenderRejected', 'SenderRejected', 'RecipientRejected', 'SessionEnded']);
    expect(events[1].data.reply).toMatchObject({ code: 501, enhancedCode: '5.1.7' });
    expect(events[3].data.reply).toMatchObject({ code: 501, enhancedCode: '5.1.3' });
    expect(events[4].data.counts).toMatchObject({ recipientsRejected: 1 });
  });

  it('refuses more recipients than the limit with 452 4.5.3', async () => {
    const { client } = await RawSmtpClient.open(elemta.ports.smtp);
    try {
      await client.command('EHLO client.test');
      await client.command('MAIL FROM:<many@example.org>');
      for (let i = 0; i < 100; i++) expect((await client.command(`RCPT TO:<r${i}@example.net>`)).code).toBe(250);
      const over = await client.command('RCPT TO:<r100@example.net>');
      expect(over.lines[0]).toMatch(/^452 4\.5\.3 /);
    } finally {
      client.close();
    }
  });

  it('refuses a message over the SIZE limit with 552 and stores nothing', async () => {
    const { client } = await RawSmtpClient.open(elemta.ports.smtp);
    const countAccepted = async () => Number((await db.query("SELECT count(*) FROM events WHERE type = 'MessageAccepted'")).rows[0].count);
    const blobCount = async () => Number((await db.query('SELECT count(*) FROM blobs')).rows[0].count)
      + (existsSync(join(dataDir, 'blobs')) ? readdirSync(join(dataDir, 'blobs'), { recursive: true }).length : 0);
    const acceptedBefore = await countAccepted();
    const blobsBefore = await blobCount();
    try {
      const ehlo = await client.command('EHLO client.test');
      expect(ehlo.lines).toContain(`250 SIZE ${MAX_SIZE}`);
      expect(ehlo.text).toMatch(/8BITMIME/);
      expect(ehlo.text).toMatch(/SMTPUTF8/);
      expect(ehlo.text).toMatch(/PIPELINING/);
      // declared too large: refused at MAIL FROM
      expect((await client.command(`MAIL FROM:<big@example.org> SIZE=${MAX_SIZE + 1}`)).lines[0]).toMatch(/^552 5\.3\.4 /);
      // not declared, but too large on the wire: refused after DATA
      await client.command('MAIL FROM:<big@example.org>');
      await client.command('RCPT TO:<bob@example.net>');
      expect((await client.command('DATA')).code).toBe(354);
      client.write(`Subject: big\r\n\r\n${'x'.repeat(998)}\r\n`.repeat(80) + '.\r\n');
      expect((await client.next()).lines[0]).toMatch(/^552 5\.3\.4 /);
      // and the session goes on
      expect((await client.command('NOOP')).code).toBe(250);
    } finally {
      client.close();
    }
    expect(await countAccepted()).toBe(acceptedBefore);
    expect(await blobCount()).toBe(blobsBefore);
    const rejected = await eventually(async () => (await db.query("SELECT data FROM events WHERE type = 'MessageRejected'")).rows[0]);
    expect(rejected.data.reply).toMatchObject({ code: 552, enhancedCode: '5.3.4' });
  });
});

describe('GraphQL authentication', () => {
  it('answers a request without a key with 401 and nothing else', async () => {
    const { status, body } = await graphqlRequest(elemta.ports.http, null, '{ messages(first: 5) { totalCount } }');
    expect(status).toBe(401);
    expect(body.data).toBeUndefined();
    expect(body.errors).toEqual([expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } })]);
  });

  it('answers a wrong key with 401', async () => {
    const { status } = await graphqlRequest(elemta.ports.http, `elemta_0000000000000000_${'A'.repeat(43)}`, '{ viewer { id } }');
    expect(status).toBe(401);
  });

  it('stores only a hash of the admin key', async () => {
    const { rows } = await db.query('SELECT * FROM api_keys');
    const secret = /^elemta_[0-9a-f]{16}_(.{43})$/.exec(adminKey)![1]!; // base64url: the secret may itself contain '_'
    expect(JSON.stringify(rows)).not.toContain(secret);
  });

  it('refuses a query nested 15 levels deep before running it, and counts operations by name', async () => {
    const nested = (levels: number) => `{ __type(name: "Message") { ${'ofType { '.repeat(levels)}name${' }'.repeat(levels)} } }`;
    const deep = `query Deep ${nested(10)}`;
    expect((await graphqlRequest(elemta.ports.http, adminKey, deep)).body.errors).toBeUndefined();
    const { body } = await graphqlRequest<unknown>(elemta.ports.http, adminKey, `query TooDeep ${nested(14)}`); // 15 levels
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_DEEP');
    const metrics = await (await fetch(`http://127.0.0.1:${elemta.ports.http}/metrics`)).text();
    expect(metrics).toMatch(/elemta_graphql_operation_duration_seconds_count\{operation="Deep",type="query",outcome="ok"\} [1-9]/);
  });

  it('serves health and metrics without a key', async () => {
    const health = await fetch(`http://127.0.0.1:${elemta.ports.http}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', checks: { database: true, eventStore: true } });
    const ready = await fetch(`http://127.0.0.1:${elemta.ports.http}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: true, eventStore: true, projections: true } });
    const metrics = await (await fetch(`http://127.0.0.1:${elemta.ports.http}/metrics`)).text();
    expect(metrics).toMatch(/elemta_smtp_messages_accepted_total\{listener="mx"\} [1-9]/);
    expect(metrics).toMatch(/elemta_smtp_sessions_total\{listener="mx"\} [1-9]/);
    expect(metrics).toMatch(/elemta_smtp_messages_rejected_total\{listener="mx",code="552"\} [1-9]/);
    expect(metrics).toMatch(/elemta_eventstore_append_duration_seconds_count [1-9]/);
    expect(metrics).toMatch(/elemta_projection_lag_seconds\{projection="views"\} \d/);
    expect(metrics).toMatch(/elemta_projection_events_processed_total\{projection="views"\} [1-9]/);
    expect(metrics).toMatch(/elemta_queue_recipients\{status="queued",zone="default"\} [1-9]/);
    expect(metrics).toMatch(/elemta_queue_oldest_message_age_seconds \d/);
  });
});
