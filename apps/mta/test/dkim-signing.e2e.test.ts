import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authenticate } from 'mailauth';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConfigError, loadConfig } from '@elemta/infra/config';
import { createMailResolver, type MailResolver } from '@elemta/infra/dns';
import { createLogger } from '@elemta/infra/logger';
import { generateDkimKey, txtCharacterStrings } from '@elemta/infra/mailauth';
import {
  createTestDatabase, eventually, freePort, startSmtpSink, startTestDnsServer, type ReceivedMessage, type SmtpSink, type TestDnsServer,
} from '@elemta/infra/testing';
import { startElemta, type RunningElemta } from '../src/index.js';

const HOSTNAME = 'mx.elemta.test';
/** A client outside smtp.relay.networks (which lists only 127.0.0.1): its mail is from "outside". */
const OUTSIDE_CLIENT = '127.0.0.20';
const DESTINATIONS = { 'dest.test': '127.0.0.2', 'forward.test': '127.0.0.3' } as const;

let elemta: RunningElemta;
let dir: string;
let dns: TestDnsServer;
let resolver: MailResolver;
const sinks: Record<string, SmtpSink> = {};
const dkimKey = generateDkimKey({ algorithm: 'rsa' });
const arcKey = generateDkimKey({ algorithm: 'rsa' });

const configLines = (relayPort: number) => [
  'smtp:',
  '  relay:',
  '    networks: [127.0.0.1/32]',
  '    relayDomains: [forward.test]',
  // inbound checks of mail from outside: they add the Authentication-Results that the ARC seal carries on
  'policy: { plugins: [{ name: email-auth }] }',
  'delivery:',
  '  mode: relay',
  `  transports: { relay: { kind: relay, port: ${relayPort}, connectTimeout: 2 } }`,
  '  routes: { domains: { forward.test: relay } }',
  `  dns: { servers: ["${dns.address}"], timeout: 1 }`,
  '  workers: { pollInterval: 100ms, lease: 10s }',
  '  signing:',
  '    dkim:',
  '      Example.ORG: { selector: s2026, keyFile: keys/dkim.pem }',
  '    arc: { domain: elemta.test, selector: arc1, keyFile: keys/arc.pem }',
  '',
];

const start = async (configFile: string, name: string): Promise<RunningElemta> => {
  const config = loadConfig({
    ELEMTA_CONFIG: configFile, ELEMTA_DATA_DIR: join(dir, name), DATABASE_URL: await createTestDatabase(inject('postgresUrl')),
    ELEMTA_SMTP_PORT: String(await freePort()), ELEMTA_SUBMISSION_PORT: '0', ELEMTA_HTTP_PORT: String(await freePort()),
    ELEMTA_NODE_NAME: name, ELEMTA_HOSTNAME: HOSTNAME,
  });
  return startElemta({ ...config, smtp: { ...config.smtp, disableReverseLookup: true } }, createLogger({ level: 'silent', node: name }));
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'elemta-dkim-'));
  const relayPort = await freePort();
  for (const [domain, ip] of Object.entries(DESTINATIONS)) sinks[domain] = await startSmtpSink({ host: ip, port: relayPort });
  dns = await startTestDnsServer({
    ...Object.fromEntries(Object.entries(DESTINATIONS).flatMap(([domain, ip]) => [
      [domain, { MX: [{ exchange: `mx.${domain}`, priority: 10 }] }], [`mx.${domain}`, { A: [ip] }],
    ])),
    's2026._domainkey.example.org': { TXT: [txtCharacterStrings(dkimKey.dnsRecord)] },
    'arc1._domainkey.elemta.test': { TXT: [txtCharacterStrings(arcKey.dnsRecord)] },
    'test': { SOA: {} },
    'org': { SOA: {} },
  });
  resolver = createMailResolver({ servers: [dns.address], timeoutMs: 500, tries: 1 });
  // key files relative to the config file, as an admin would write them after `elemta dkim keygen`
  const keys = join(dir, 'keys');
  mkdirSync(keys);
  writeFileSync(join(keys, 'dkim.pem'), dkimKey.privateKeyPem, { mode: 0o600 });
  writeFileSync(join(keys, 'arc.pem'), arcKey.privateKeyPem, { mode: 0o600 });
  const configFile = join(dir, 'elemta.yaml');
  writeFileSync(configFile, configLines(relayPort).join('\n'));
  elemta = await start(configFile, 'dkim');
});

afterAll(async () => {
  await elemta?.stop();
  await Promise.all(Object.values(sinks).map((s) => s.close()));
  await resolver?.close();
  await dns?.close();
  rmSync(dir, { recursive: true, force: true });
});

type Mail = { from: string; to: string; subject: string; headers?: Record<string, string>; localAddress?: string };

const send = async ({ from, to, subject, headers, localAddress }: Mail): Promise<void> => {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1', port: elemta.ports.smtp, secure: false, ignoreTLS: true, ...(localAddress ? { localAddress } : {}),
  });
  try {
    await transport.sendMail({ from, to, subject, text: `Body of ${subject}\n`, ...(headers ? { headers } : {}) });
  } finally {
    transport.close();
  }
};

const receivedAt = (domain: keyof typeof DESTINATIONS, subject: string): Promise<ReceivedMessage> =>
  eventually(async () => sinks[domain]!.messages.find((m) => m.body.toString().includes(`Subject: ${subject}`)), 20_000, 50);

/** What the receiving MTA concludes, with its resolver on the test DNS server. */
const verifyAtSink = (message: ReceivedMessage) => authenticate(message.body, {
  resolver: (name: string, type: string) => resolver.lookup(name, type as 'TXT'),
  ip: '127.0.0.1', helo: HOSTNAME, sender: message.mailFrom, mta: 'mx.receiver.test', disableBimi: true,
});

describe('outbound DKIM signing and ARC sealing, end to end', () => {
  it('DKIM-signs mail from our network as its From domain, and the receiver verifies it with the published key', async () => {
    await send({ from: 'Alice <alice@example.org>', to: 'bob@dest.test', subject: 'signed by elemta' });
    const message = await receivedAt('dest.test', 'signed by elemta');
    const unfolded = message.body.toString().replace(/\r\n[ \t]+/g, ' ');
    expect(unfolded).toMatch(/^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/relaxed; d=example\.org; [^\r\n]*s=s2026;/m);
    const result = await verifyAtSink(message);
    const ours = result.dkim.results.filter((r) => r.signingDomain === 'example.org');
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatchObject({ selector: 's2026', status: { result: 'pass', aligned: 'example.org' } });
  });

  it('ARC-seals mail from outside that carries our Authentication-Results when it is forwarded; the receiver sees arc=pass', async () => {
    await send({
      from: 'Friend <friend@outside.test>', to: 'list@forward.test', subject: 'forwarded with arc', localAddress: OUTSIDE_CLIENT,
    });
    const message = await receivedAt('forward.test', 'forwarded with arc');
    const text = message.body.toString();
    expect(text).toMatch(/^ARC-Seal: i=1; a=rsa-sha256; t=\d+; cv=none; d=elemta\.test;/m);
    // the seal carries what our inbound check (email-auth) recorded
    const aar = /^ARC-Authentication-Results: (.*(?:\r\n[ \t].*)*)/m.exec(text)?.[1];
    expect(aar).toMatch(new RegExp(`^i=1; ${HOSTNAME.replace(/\./g, '\\.')};`));
    expect(aar).toContain('smtp.mailfrom=friend@outside.test');
    const result = await verifyAtSink(message);
    expect(result.arc).toMatchObject({ i: 1, status: { result: 'pass' } });
    expect(result.dkim.results.some((r) => r.signingDomain === 'example.org')).toBe(false);
  });

  it('never DKIM-signs mail from outside, even when its From claims our domain', async () => {
    await send({ from: 'Mallory <ceo@example.org>', to: 'victim@forward.test', subject: 'spoofed from outside', localAddress: OUTSIDE_CLIENT });
    const message = await receivedAt('forward.test', 'spoofed from outside');
    expect(message.body.toString()).not.toMatch(/d=example\.org/);
    const result = await verifyAtSink(message);
    expect(result.dkim.results.some((r) => r.signingDomain === 'example.org' && r.status.result === 'pass')).toBe(false);
  });

  it('refuses to start when a signing key cannot be read, naming its key', async () => {
    const configFile = join(dir, 'missing-key.yaml');
    writeFileSync(configFile, configLines(await freePort()).join('\n').replace('keys/dkim.pem', 'keys/nowhere.pem'));
    const error = await start(configFile, 'missing').then(async (running) => { await running.stop(); return null; }, (err: unknown) => err);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/delivery\.signing\.dkim\.example\.org\.keyFile: cannot read .*keys\/nowhere\.pem/);
  });
});
