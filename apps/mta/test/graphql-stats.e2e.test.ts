import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '@elemta/infra/config';
import { createLogger } from '@elemta/infra/logger';
import { createTestDatabase, eventually, freePort, graphqlRequest, RawSmtpClient } from '@elemta/infra/testing';
import { startElemta, type RunningElemta } from '../src/index.js';

const MAX_SIZE = 16 * 1024;
let elemta: RunningElemta;
let dataDir: string;
let adminKey: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'elemta-stats-'));
  // capture mode with workers on, so accepted mail is also delivered (captured)
  const config = loadConfig({
    ELEMTA_DATA_DIR: dataDir, DATABASE_URL: await createTestDatabase(inject('postgresUrl')), ELEMTA_SMTP_PORT: String(await freePort()),
    ELEMTA_SUBMISSION_PORT: '0', ELEMTA_HTTP_PORT: String(await freePort()), ELEMTA_NODE_NAME: 'e2e', ELEMTA_HOSTNAME: 'mx.elemta.test',
    ELEMTA_MAX_MESSAGE_SIZE: String(MAX_SIZE),
  });
  elemta = await startElemta({ ...config, smtp: { ...config.smtp, disableReverseLookup: true } }, createLogger({ level: 'silent', node: 'e2e' }));
  adminKey = readFileSync(join(dataDir, 'admin.key'), 'utf8').trim();
});

afterAll(async () => {
  await elemta?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const STATS = `query ($from: DateTime!, $to: DateTime!, $groupBy: StatsGroupBy) {
  stats(from: $from, to: $to, bucket: MINUTE, groupBy: $groupBy) {
    __typename ... on Stats { series { key totals { received delivered deferred bounced rejected expired } points { bucketStart } } }
  } }`;

type Totals = Record<'received' | 'delivered' | 'deferred' | 'bounced' | 'rejected' | 'expired', number>;
type Series = { key: string | null; totals: Totals; points: { bucketStart: string }[] };

const stats = async (from: Date, groupBy: 'NONE' | 'LISTENER' | 'ZONE'): Promise<Series[]> => {
  const to = new Date(Date.now() + 60_000);
  const { body } = await graphqlRequest<{ stats: { __typename: string; series: Series[] } }>(
    elemta.ports.http, adminKey, STATS, { from: from.toISOString(), to: to.toISOString(), groupBy });
  expect(body.errors).toBeUndefined();
  expect(body.data?.stats.__typename).toBe('Stats');
  return body.data!.stats.series;
};

/** One DATA transaction over the size limit: refused with 552 after the data, recorded as MessageRejected. */
const sendOversized = async (): Promise<void> => {
  const { client } = await RawSmtpClient.open(elemta.ports.smtp);
  try {
    await client.command('EHLO client.test');
    await client.command('MAIL FROM:<big@example.org>');
    await client.command('RCPT TO:<bob@example.net>');
    expect((await client.command('DATA')).code).toBe(354);
    client.write(`Subject: big\r\n\r\n${'x'.repeat(998)}\r\n`.repeat(20) + '.\r\n');
    expect((await client.next()).lines[0]).toMatch(/^552 /);
    await client.command('QUIT');
  } finally {
    client.close();
  }
};

describe('stats and zones through GraphQL', () => {
  it('counts mail sent over SMTP: received and delivered (captured) per minute, rejected under its listener', async () => {
    const since = new Date(Date.now() - 60_000);
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: elemta.ports.smtp, secure: false, ignoreTLS: true });
    await transport.sendMail({ from: 'dev@example.org', to: 'a@example.com', subject: 'one', text: 'first' });
    await transport.sendMail({ from: 'dev@example.org', to: ['b@example.com', 'c@example.net'], subject: 'two', text: 'second' });
    transport.close();
    await sendOversized();

    const [all] = await eventually(async () => {
      const series = await stats(since, 'NONE');
      return series[0]?.totals.delivered === 3 && series[0].totals.rejected === 1 ? series : undefined;
    }, 15_000);
    expect(all!.key).toBeNull();
    expect(all!.totals).toEqual({ received: 2, delivered: 3, deferred: 0, bounced: 0, rejected: 1, expired: 0 });
    expect(all!.points.length).toBeGreaterThanOrEqual(2); // one per minute, zeros included

    const byListener = await stats(since, 'LISTENER');
    expect(byListener.map((s) => [s.key, s.totals.received, s.totals.delivered, s.totals.rejected])).toEqual([['mx', 2, 3, 1]]);
    const byZone = await stats(since, 'ZONE');
    expect(byZone.map((s) => [s.key, s.totals.received, s.totals.delivered])).toEqual([['default', 0, 3]]);
  });

  it('lists the configured zones with nothing left in their queue', async () => {
    const { body } = await graphqlRequest<{ zones: { zones: Record<string, unknown>[] } }>(elemta.ports.http, adminKey,
      '{ zones { ... on ZoneList { zones { name maxConnections bindAddresses throttle { count } pending oldestAgeSeconds } } } }');
    expect(body.errors).toBeUndefined();
    expect(body.data?.zones.zones).toEqual([
      { name: 'default', maxConnections: 100, bindAddresses: [], throttle: null, pending: 0, oldestAgeSeconds: null },
    ]);
  });
});
