import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '@elemta/infra/config';
import { PostgresEventStore } from '@elemta/infra/event-store-pg';
import { createLogger } from '@elemta/infra/logger';
import { createTestDatabase, eventually, freePort } from '@elemta/infra/testing';
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

const send = (user: string, pass: string, authMethod: 'PLAIN' | 'LOGIN' = 'PLAIN') =>
  nodemailer.createTransport({
    host: '127.0.0.1', port: elemta.ports.submission!, secure: false, ignoreTLS: true, auth: { user, pass }, authMethod,
  }).sendMail({ from: 'alice@example.org', to: 'bob@example.net', subject: 'Hello', text: 'Hi Bob.' });

const refusal = async (user: string, pass: string, authMethod: 'PLAIN' | 'LOGIN' = 'PLAIN') => {
  const started = Date.now();
  const err = await send(user, pass, authMethod).then(() => { throw new Error('AUTH was accepted'); }, (e: Error & { response?: string; responseCode?: number }) => e);
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
});
