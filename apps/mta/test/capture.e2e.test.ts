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

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'elemta-capture-'));
  // the defaults of `npm start`: delivery mode capture, workers on
  const config = loadConfig({
    ELEMTA_DATA_DIR: dataDir, DATABASE_URL: await createTestDatabase(inject('postgresUrl')), ELEMTA_SMTP_PORT: String(await freePort()),
    ELEMTA_SUBMISSION_PORT: '0', ELEMTA_HTTP_PORT: String(await freePort()), ELEMTA_NODE_NAME: 'e2e', ELEMTA_HOSTNAME: 'mx.elemta.test',
  });
  elemta = await startElemta({ ...config, smtp: { ...config.smtp, disableReverseLookup: true } }, createLogger({ level: 'silent', node: 'e2e' }));
  adminKey = readFileSync(join(dataDir, 'admin.key'), 'utf8').trim();
});

afterAll(async () => {
  await elemta?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const QUERY = `query ($id: ID!) { message(id: $id) { status captured raw recipients { address status route } events { type data } } }`;

describe('capture mode (the default of npm start)', () => {
  it('delivers nothing outside, records the capture as a delivery, and shows the captured message through GraphQL', async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: elemta.ports.smtp, secure: false, ignoreTLS: true });
    const info = await transport.sendMail({ from: 'dev@example.org', to: 'someone@example.com', subject: 'Captured', text: 'Only for my eyes.' });
    transport.close();
    const id = /queued as (\S+)$/.exec(info.response)![1]!;
    const message = await eventually(async () => {
      const { body } = await graphqlRequest<{ message: any }>(elemta.ports.http, adminKey, QUERY, { id });
      return body.data?.message?.status === 'DELIVERED' ? body.data.message : undefined;
    }, 10_000);
    expect(message.captured).toBe(true);
    expect(message.recipients).toEqual([{ address: 'someone@example.com', status: 'DELIVERED', route: 'capture' }]);
    const delivered = message.events.find((e: { type: string }) => e.type === 'RecipientDelivered');
    expect(delivered.data.reply).toMatchObject({ code: 250, command: 'CAPTURE' });
    expect(message.raw).toContain('Subject: Captured');
    expect(message.raw).toContain('Only for my eyes.');
    expect(message.raw).toMatch(/^Received: from /);
  });
});
