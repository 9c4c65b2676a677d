import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dkimVerify } from 'mailauth';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { asMessageId, messageStream, type MessageEvent, type PolicyEvaluated } from '@elemta/domain';
import { PostgresBlobStore, blobStoreMigrations } from '@elemta/infra/blob-store';
import { deliveryConfigSchema, smtpConfigSchema } from '@elemta/infra/config';
import { createMailResolver, type MailResolver } from '@elemta/infra/dns';
import { PostgresEventStore, eventStoreMigrations } from '@elemta/infra/event-store-pg';
import { newId } from '@elemta/infra/ids';
import { createLogger } from '@elemta/infra/logger';
import { generateDkimKey, SigningError, txtCharacterStrings } from '@elemta/infra/mailauth';
import { createMetrics } from '@elemta/infra/metrics';
import { createPool, runMigrations, ThrottleStore, throttleMigrations, type Pool } from '@elemta/infra/postgres';
import { createTestDatabase, startSmtpSink, startTestDnsServer, type SmtpSink, type TestDnsServer } from '@elemta/infra/testing';
import { acceptMessage } from '../smtp/accept-message.js';
import { deliverMessage, type DeliveryDeps } from './deliver-message.js';
import { createMessageSigner, type MessageSigner } from './message-signer.js';
import { retryPolicyOf } from './start-delivery.js';
import { createPolicyPipeline } from '../policy/pipeline.js';
import { buildTransports } from './transports.js';
import { ZoneRuntime } from './zone-runtime.js';

let pool: Pool;
let store: PostgresEventStore;
let blobs: PostgresBlobStore;
let sink: SmtpSink;
let dns: TestDnsServer;
let resolver: MailResolver;
let dir: string;
let deps: Omit<DeliveryDeps, 'signer'>;
let realSigner: MessageSigner;
const key = generateDkimKey({ algorithm: 'rsa' });
const log = createLogger({ level: 'silent', node: 'test' });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'elemta-deliver-signing-'));
  const url = await createTestDatabase(inject('postgresUrl'));
  pool = createPool(url, { max: 5, applicationName: 'deliver-signing-test' });
  await runMigrations(pool, [...eventStoreMigrations, ...blobStoreMigrations, ...throttleMigrations]);
  store = new PostgresEventStore({ pool, listenUrl: url });
  blobs = new PostgresBlobStore({ pool });
  sink = await startSmtpSink();
  dns = await startTestDnsServer({ 's1._domainkey.example.org': { TXT: [txtCharacterStrings(key.dnsRecord)] }, 'org': { SOA: {} } });
  resolver = createMailResolver({ servers: [dns.address], timeoutMs: 500, tries: 1 });
  const delivery = deliveryConfigSchema.parse({
    mode: 'relay',
    transports: { smart: { kind: 'smarthost', host: '127.0.0.1', port: sink.port, connectTimeout: 2 }, box: { kind: 'maildir', root: join(dir, 'maildir') } },
    routes: { domains: { 'a.test': 'smart', 'b.test': 'smart', 'local.test': 'box' } },
    signing: { dkim: { 'example.org': { selector: 's1', keyFile: join(dir, 'dkim.pem') } } },
  });
  writeFileSync(join(dir, 'dkim.pem'), key.privateKeyPem, { mode: 0o600 });
  const throttles = new ThrottleStore(pool);
  deps = {
    store, blobs, transports: buildTransports(delivery.transports, { resolver, heloName: 'mx.elemta.test' }),
    zones: new Map([['default', new ZoneRuntime('default', delivery.zones['default']!, (l) => throttles.take(l))]]),
    defaultZone: 'default', retry: retryPolicyOf(delivery.retry), node: 'test', newId, now: () => new Date(), random: () => 0,
    metrics: createMetrics(), log, onAppended: async () => {},
  };
  realSigner = createMessageSigner({ signing: delivery.signing, hostname: 'mx.elemta.test', relayNetworks: smtpConfigSchema.parse({}).relay.networks, log })!;
  routing = delivery.routes;
});

let routing: Parameters<typeof acceptMessage>[0]['routing'];

afterAll(async () => {
  await Promise.allSettled([...(deps?.transports.values() ?? [])].map((t) => t.close()));
  await store?.close();
  await pool?.end();
  await sink?.close();
  await resolver?.close();
  await dns?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A message from a trusted client (loopback), stored and queued as the SMTP path would. */
const accept = async (rcptTo: string[], subject: string): Promise<string> => {
  const messageId = newId();
  const body = Buffer.from([
    'From: Alice <alice@example.org>', `To: ${rcptTo.join(', ')}`, `Subject: ${subject}`, `Message-ID: <${messageId}@example.org>`,
    'Date: Thu, 1 Jan 2026 00:00:00 +0000', '', 'Hello.', '',
  ].join('\r\n'));
  await acceptMessage({ store, blobs, routing }, {
    messageId, sessionId: null, body, mailFrom: 'alice@example.org', rcptTo, params: {},
    client: { address: '127.0.0.1', port: 40000, reverseDns: null, helo: 'client.test' }, listener: 'mx', authUser: null, tls: null,
    actor: 'smtp:127.0.0.1', node: 'test', now: new Date(),
  });
  return messageId;
};

const eventsOf = async (id: string) => (await store.readStream<MessageEvent | PolicyEvaluated>(messageStream(asMessageId(id)))).events;
const lookup = (name: string, type: string) => resolver.lookup(name, type as 'TXT');
const maildirFiles = (root: string): string[] => readdirSync(root, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));

describe('signing in the delivery path', () => {
  it('signs once per attempt, shared by every destination on a signing route, and leaves Maildir delivery unsigned', async () => {
    let calls = 0;
    const counting: MessageSigner = { sign: (accepted, body) => { calls++; return realSigner.sign(accepted, body); } };
    const id = await accept(['one@a.test', 'two@b.test', 'three@local.test'], 'three routes');
    await deliverMessage({ ...deps, signer: counting }, id);
    expect(calls).toBe(1);
    const delivered = (await eventsOf(id)).filter((e) => e.type === 'RecipientDelivered').map((e) => e.data.recipient).sort();
    expect(delivered).toEqual(['one@a.test', 'three@local.test', 'two@b.test']);
    const received = sink.messages.filter((m) => m.body.toString().includes('Subject: three routes'));
    expect(received.map((m) => m.rcptTo)).toEqual(expect.arrayContaining([['one@a.test'], ['two@b.test']]));
    for (const message of received) {
      const { results } = await dkimVerify(message.body, { resolver: lookup });
      expect(results[0]).toMatchObject({ signingDomain: 'example.org', selector: 's1', status: { result: 'pass' } });
    }
    const [local] = maildirFiles(join(dir, 'maildir'));
    expect(readFileSync(local!, 'utf8')).not.toMatch(/DKIM-Signature/i);
  });

  it('defers with 451 when signing fails, and sends nothing unsigned', async () => {
    const failing: MessageSigner = { sign: async () => { throw new SigningError('DKIM signing for example.org failed: simulated'); } };
    const before = sink.messages.length;
    const id = await accept(['four@a.test'], 'signing fails');
    await deliverMessage({ ...deps, signer: failing }, id);
    const deferred = (await eventsOf(id)).find((e) => e.type === 'RecipientDeferred');
    expect(deferred?.data).toMatchObject({ recipient: 'four@a.test', attempt: 1, reply: { code: 451, enhancedCode: '4.3.0', text: 'could not sign the message on test', command: 'SIGN' } });
    expect(sink.messages.length).toBe(before);
    // the next attempt, with signing working again, delivers it signed
    await deliverMessage({ ...deps, signer: realSigner, now: () => new Date(Date.now() + 3_600_000) }, id);
    expect((await eventsOf(id)).some((e) => e.type === 'RecipientDelivered')).toBe(true);
    const [message] = sink.messages.slice(before);
    expect((await dkimVerify(message!.body, { resolver: lookup })).results[0]!.status.result).toBe('pass');
  });

  it('does no signing work without a signer', async () => {
    const id = await accept(['five@a.test'], 'no signer');
    await deliverMessage({ ...deps, signer: null }, id);
    const message = sink.messages.find((m) => m.body.toString().includes('Subject: no signer'));
    expect(message?.body.toString()).not.toMatch(/DKIM-Signature/i);
  });
});

describe('the delivery stage of the policy pipeline', () => {
  const pipeline = createPolicyPipeline([{
    name: 'outbound-check', timeoutMs: 1000, onError: 'tempfail', listeners: null,
    hooks: {
      delivery: ({ args }) => args.recipients.some((r) => r.startsWith('blocked@'))
        ? { kind: 'reject', code: 550, enhancedCode: '5.7.1', text: 'Outbound policy refused this recipient' }
        : args.recipients.some((r) => r.startsWith('later@')) ? { kind: 'tempfail', code: 451, enhancedCode: '4.7.1', text: 'Not now' } : { kind: 'continue' },
    },
  }], { log, metrics: createMetrics(), now: () => new Date() });

  it('bounces on a reject and defers on a tempfail, before anything is sent, and records the verdict in the message stream', async () => {
    const before = sink.messages.length;
    const blocked = await accept(['blocked@a.test'], 'blocked by policy');
    const later = await accept(['later@b.test'], 'held back by policy');
    await deliverMessage({ ...deps, signer: null, policy: pipeline }, blocked);
    await deliverMessage({ ...deps, signer: null, policy: pipeline }, later);
    expect(sink.messages.length).toBe(before);
    const blockedEvents = await eventsOf(blocked);
    expect(blockedEvents.find((e) => e.type === 'PolicyEvaluated')?.data).toMatchObject({ stage: 'delivery', plugin: 'outbound-check', verdict: 'reject', messageId: blocked });
    expect(blockedEvents.find((e) => e.type === 'RecipientBounced')?.data).toMatchObject({ reply: { code: 550, enhancedCode: '5.7.1' } });
    const laterEvents = await eventsOf(later);
    expect(laterEvents.find((e) => e.type === 'RecipientDeferred')?.data).toMatchObject({ reply: { code: 451, text: 'Not now' } });

    const allowed = await accept(['fine@a.test'], 'allowed by policy');
    await deliverMessage({ ...deps, signer: null, policy: pipeline }, allowed);
    expect((await eventsOf(allowed)).some((e) => e.type === 'RecipientDelivered')).toBe(true);
  });
});
