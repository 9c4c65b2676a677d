import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '@elemta/infra/config';
import { PostgresEventStore } from '@elemta/infra/event-store-pg';
import { createLogger } from '@elemta/infra/logger';
import { createTestDatabase, eventually, freePort, RawSmtpClient } from '@elemta/infra/testing';
import { SmtpUsers, startElemta, type RunningElemta } from '../src/index.js';

const PASSWORD = 'Tr0ub4dor&3-never-in-the-log';
const WRONG = 'wrong-password-also-never-logged';
const DELAY_MS = 300;
const MAX_FAILURES = 4;

let elemta: RunningElemta;
let dataDir: string;
let db: pg.Pool;
let store: PostgresEventStore;
let users: SmtpUsers;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'elemta-auth-e2e-'));
  const databaseUrl = await createTestDatabase(inject('postgresUrl'));
  const config = loadConfig({
    ELEMTA_DATA_DIR: dataDir, DATABASE_URL: databaseUrl, ELEMTA_SMTP_PORT: String(await freePort()),
    ELEMTA_SUBMISSION_PORT: String(await freePort()), ELEMTA_HTTP_PORT: String(await freePort()), ELEMTA_LOG_LEVEL: 'silent',
    ELEMTA_NODE_NAME: 'e2e', ELEMTA_HOSTNAME: 'mx.elemta.test', ELEMTA_DELIVERY_WORKERS: 'false',
  });
  elemta = await startElemta({
    ...config, smtp: { ...config.smtp, disableReverseLookup: true, authMaxFailures: MAX_FAILURES, authFailureDelayMs: DELAY_MS },
  }, createLogger({ level: 'silent', node: 'e2e' }));
  db = new pg.Pool({ connectionString: databaseUrl });
  store = new PostgresEventStore({ pool: db, listenUrl: databaseUrl });
  users = new SmtpUsers(db, store, 'cli:test@e2e', 'e2e');
  await users.add('Alice@Example.org', PASSWORD);
});

afterAll(async () => {
  await store?.close();
  await db?.end();
  await elemta?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

// Each test starts with no failures on record: they all connect from 127.0.0.1, which the per-IP throttle counts.
beforeEach(async () => { await db.query('DELETE FROM smtp_auth_failures'); });

/** STARTTLS verified against the self-signed certificate Elemta made in its data directory on first start. */
const send = (user: string, pass: string, authMethod: 'PLAIN' | 'LOGIN' = 'PLAIN', localAddress = '127.0.0.1') =>
  nodemailer.createTransport({
    host: '127.0.0.1', port: elemta.ports.submission!, secure: false, requireTLS: true, localAddress,
    tls: { ca: [readFileSync(join(dataDir, 'tls', 'self-signed-cert.pem'))], servername: 'mx.elemta.test' },
    auth: { user, pass }, authMethod,
  }).sendMail({ from: 'alice@example.org', to: 'bob@example.net', subject: 'Hello', text: 'Hi Bob.' });

const refusal = async (user: string, pass: string, authMethod: 'PLAIN' | 'LOGIN' = 'PLAIN', localAddress = '127.0.0.1') => {
  const started = Date.now();
  const err = await send(user, pass, authMethod, localAddress).then(() => { throw new Error('AUTH was accepted'); }, (e: Error & { response?: string; responseCode?: number }) => e);
  return { code: err.responseCode, response: err.response ?? err.message, ms: Date.now() - started };
};

const authEvents = async () => (await db.query<{ data: { user: string; mechanism: string; outcome: string } }>(
  "SELECT data FROM events WHERE type = 'AuthAttempted' ORDER BY position")).rows.map((r) => r.data);

describe('SMTP AUTH on the submission listener, end to end', () => {
  it.each(['PLAIN', 'LOGIN'] as const)('accepts a message after AUTH %s and records the user in MessageAccepted', async (mechanism) => {
    const info = await send('alice@example.org', PASSWORD, mechanism);
    const id = /^250 2\.0\.0 Ok: queued as ([0-9a-f-]{36})$/.exec(info.response)?.[1];
    expect(id, info.response).toBeDefined();
    const { rows } = await db.query("SELECT data FROM events WHERE stream = $1 AND type = 'MessageAccepted'", [`message-${id}`]);
    expect(rows[0].data.authUser).toBe('alice@example.org');
    const attempts = await eventually(async () => {
      const events = (await authEvents()).filter((e) => e.mechanism === mechanism && e.outcome === 'success');
      return events.length > 0 ? events : undefined;
    }, 2000, 20);
    expect(attempts[0]).toMatchObject({ user: 'alice@example.org', outcome: 'success' });
  });

  it('refuses AUTH over a plain-text connection, from loopback too, before looking at the password', async () => {
    const before = (await authEvents()).length;
    const { client } = await RawSmtpClient.open(elemta.ports.submission!);
    const ehlo = await client.command('EHLO client.test');
    expect(ehlo.text).toMatch(/STARTTLS/);
    const reply = await client.command(`AUTH PLAIN ${Buffer.from(`\0alice@example.org\0${PASSWORD}`).toString('base64')}`);
    expect(reply.code).toBe(538);
    await client.command('QUIT');
    expect(await authEvents()).toHaveLength(before); // refused before any attempt: nothing to record
  });

  it('refuses a message without AUTH on the submission port', async () => {
    const err = await nodemailer.createTransport({ host: '127.0.0.1', port: elemta.ports.submission!, secure: false, ignoreTLS: true })
      .sendMail({ from: 'alice@example.org', to: 'bob@example.net', text: 'x' }).catch((e: { responseCode?: number }) => e);
    expect((err as { responseCode?: number }).responseCode).toBe(530);
  });

  it('answers a wrong password with 535 5.7.8, records AuthAttempted and never stores the password', async () => {
    const { code, response } = await refusal('alice@example.org', WRONG);
    expect(code).toBe(535);
    expect(response).toMatch(/^535 5\.7\.8 Authentication credentials invalid/);
    await refusal('alice@example.org', WRONG, 'LOGIN');
    const failures = await eventually(async () => {
      const events = (await authEvents()).filter((e) => e.outcome === 'failure');
      return events.length >= 2 ? events : undefined;
    }, 2000, 20);
    expect(failures.map((e) => e.mechanism)).toEqual(['PLAIN', 'LOGIN']);
    expect(failures[0]).toMatchObject({ user: 'alice@example.org', outcome: 'failure' });

    const { rows } = await db.query<{ data: string; metadata: string }>('SELECT data::text, metadata::text FROM events');
    const everything = rows.map((r) => r.data + r.metadata).join('\n');
    for (const secret of [PASSWORD, WRONG, Buffer.from(WRONG).toString('base64'), Buffer.from(PASSWORD).toString('base64'),
      Buffer.from(`\0alice@example.org\0${WRONG}`).toString('base64')]) {
      expect(everything).not.toContain(secret);
    }
    const admin = await db.query("SELECT type, data FROM events WHERE stream = 'admin-smtpUsers' ORDER BY version");
    expect(admin.rows[0]).toMatchObject({ type: 'SmtpUserAdded', data: { username: 'alice@example.org', actor: 'cli:test@e2e' } });
    expect(JSON.stringify(admin.rows)).not.toMatch(/scrypt/);
  });

  it('refuses a LOGIN user name holding control characters (NUL included) before it could reach an event', async () => {
    const { code, response } = await refusal('ali\0ce', WRONG, 'LOGIN', '127.0.0.9');
    expect([code, response]).toEqual([501, '501 5.5.4 Error: invalid userdata']);
    expect((await authEvents()).filter((e) => e.user.startsWith('ali\0'))).toEqual([]);
  });

  it('answers repeated failures more and more slowly, then 454 4.7.0 without checking the password', async () => {
    const attempts = [];
    for (let i = 0; i < MAX_FAILURES; i++) attempts.push(await refusal('alice@example.org', WRONG));
    expect(attempts.map((a) => a.code)).toEqual(Array(MAX_FAILURES).fill(535));
    // 0, 1, 2, 4 times the base delay on top of the connection's own cost
    expect(attempts[1]!.ms - attempts[0]!.ms).toBeGreaterThanOrEqual(DELAY_MS - 100);
    expect(attempts[2]!.ms - attempts[1]!.ms).toBeGreaterThanOrEqual(DELAY_MS - 100);
    expect(attempts[3]!.ms - attempts[2]!.ms).toBeGreaterThanOrEqual(2 * DELAY_MS - 100);

    const locked = await refusal('alice@example.org', PASSWORD); // the right password does not help now
    expect(locked.code).toBe(454);
    expect(locked.response).toMatch(/^454 4\.7\.0 Too many failed authentication attempts, try later/);
    const metrics = await (await fetch(`http://127.0.0.1:${elemta.ports.http}/metrics`)).text();
    expect(metrics).toMatch(/elemta_smtp_auth_total\{listener="submission",outcome="throttled"\} 1/);
  });

  it('lets a removed user in no more', async () => {
    await users.add('bob', 'bobs-password');
    await expect(send('bob', 'bobs-password')).resolves.toMatchObject({ response: expect.stringMatching(/^250 /) });
    await users.remove('BOB');
    expect((await refusal('bob', 'bobs-password')).code).toBe(535);
    const types = (await db.query("SELECT type FROM events WHERE stream = 'admin-smtpUsers' ORDER BY version")).rows.map((r) => r.type);
    expect(types).toEqual(['SmtpUserAdded', 'SmtpUserAdded', 'SmtpUserRemoved']);
  });
  it('slows down and then locks out an IP after repeated wrong passwords, while another IP still gets in at once', async () => {
    const codes: number[] = [];
    const started = Date.now();
    // 20 wrong passwords for 20 different users from 127.0.0.1: only the IP's own count can slow it down
    for (let i = 0; i < 20; i++) codes.push((await refusal(`user${i}@example.org`, WRONG)).code!);
    const attackerMs = Date.now() - started;
    expect(codes.slice(0, MAX_FAILURES)).toEqual(Array(MAX_FAILURES).fill(535));
    expect(codes.slice(MAX_FAILURES)).toEqual(Array(20 - MAX_FAILURES).fill(454));
    expect(attackerMs).toBeGreaterThanOrEqual((1 + 2 + 4) * DELAY_MS - 100); // held back 0, 1, 2, 4 × the base

    // 127.0.0.2 is another client address: its own failure is answered without delay and its login works
    const other = await refusal('carol@example.org', WRONG, 'PLAIN', '127.0.0.2');
    expect(other.code).toBe(535);
    expect(other.ms).toBeLessThan(DELAY_MS);
    await expect(send('alice@example.org', PASSWORD, 'PLAIN', '127.0.0.2')).resolves.toMatchObject({ response: expect.stringMatching(/^250 /) });
    expect((await refusal('alice@example.org', PASSWORD)).code).toBe(454); // the first IP stays locked out
  });

});
