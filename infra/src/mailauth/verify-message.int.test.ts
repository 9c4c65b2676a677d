import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailResolver, type MailResolver } from '../dns/index.js';
import { startTestDnsServer, type TestDnsServer } from '../testing/dns-test-server.js';
import {
  arcSealTestMessage, dkimSignTestMessage, generateDkimKey, mailAuthZones, mergeTestZones, spfRecord, type DkimTestKey,
} from '../testing/mail-auth-zones.js';
import { toAuthenticationResults, verifyMessage, type VerifyMessageInput } from './verify-message.js';

const MTA = 'mx.elemta.test';
let dns: TestDnsServer;
let resolver: MailResolver;
let senderKey: DkimTestKey;
let edKey: DkimTestKey;
let listKey: DkimTestKey;

const message = (from = 'alice@sender.test', subject = 'Quarterly report') => [
  `From: Alice <${from}>`, 'To: bob@rcpt.test', `Subject: ${subject}`, 'Date: Fri, 20 Nov 2026 10:00:00 +0000',
  `Message-ID: <${Math.random().toString(36).slice(2)}@sender.test>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8',
  '', 'The numbers are in.', '',
].join('\r\n');

const signedBySender = (raw = message()) => dkimSignTestMessage(raw, { domain: 'sender.test', selector: 'sel1', key: senderKey });
const replaceSubject = (raw: Buffer, subject: string) => Buffer.from(raw.toString('latin1').replace(/^Subject: .*$/m, `Subject: ${subject}`), 'latin1');

const input = (overrides: Partial<VerifyMessageInput> = {}): VerifyMessageInput => ({
  clientIp: '127.0.0.1', helo: 'mail.sender.test', mailFrom: 'alice@sender.test', mtaHostname: MTA,
  lookup: (name, type) => resolver.lookup(name, type), ...overrides,
});

beforeAll(async () => {
  [senderKey, edKey, listKey] = await Promise.all([generateDkimKey('rsa'), generateDkimKey('ed25519'), generateDkimKey('rsa')]);
  dns = await startTestDnsServer(mergeTestZones(
    mailAuthZones({
      domain: 'sender.test', spf: spfRecord(), dmarc: { p: 'reject' },
      dkim: [{ selector: 'sel1', key: senderKey }, { selector: 'ed', key: edKey }],
    }),
    mailAuthZones({ domain: 'mail.sender.test', spf: spfRecord(['ip4:127.0.0.1']) }),
    mailAuthZones({ domain: 'esp.test', spf: spfRecord() }),
    mailAuthZones({ domain: 'quarantine.test', dmarc: { p: 'quarantine' } }),
    mailAuthZones({ domain: 'monitor.test', dmarc: { p: 'none' } }),
    mailAuthZones({ domain: 'list.test', spf: spfRecord(), dkim: [{ selector: 'arc', key: listKey }] }),
    { 'broken.test': 'SERVFAIL', '_dmarc.broken.test': 'SERVFAIL', 'sel1._domainkey.keyfail.test': 'SERVFAIL' },
  ));
  resolver = createMailResolver({ servers: [dns.address], timeoutMs: 500, tries: 1 });
});
afterAll(async () => {
  await resolver?.close();
  await dns?.close();
});

describe('verifyMessage', () => {
  it('passes SPF, DKIM and DMARC for a message signed by a domain that publishes its key', async () => {
    const result = await verifyMessage(await signedBySender(), input());

    expect(result.spf).toMatchObject({ result: 'pass', domain: 'sender.test', identity: 'mailfrom' });
    expect(result.dkim).toEqual({
      result: 'pass', signatures: [{ domain: 'sender.test', selector: 'sel1', result: 'pass', aligned: true, detail: null }],
    });
    expect(result.dmarc).toMatchObject({ result: 'pass', domain: 'sender.test', policy: 'reject', failedPolicy: null });
    expect(result.arc).toEqual({ result: 'none', detail: null });
    expect(result.authenticationResults).toMatch(new RegExp(`^${MTA.replace(/\./g, '\\.')};`));
    expect(result.authenticationResults).toMatch(/dkim=pass[^;]*header\.i=@sender\.test header\.s=sel1/);
    expect(result.authenticationResults).toMatch(/spf=pass[^;]*smtp\.mailfrom=alice@sender\.test/);
    expect(result.authenticationResults).toMatch(/dmarc=pass/);
    expect(result.receivedSpf).toMatch(/^pass .*client-ip=127\.0\.0\.1;$/s);
    expect(toAuthenticationResults(result)).toEqual({
      spf: { result: 'pass', detail: expect.stringContaining('mailfrom=sender.test') },
      dkim: { result: 'pass', detail: 'd=sender.test s=sel1 pass' },
      dmarc: { result: 'pass', detail: expect.stringContaining('header.from=sender.test policy=reject') },
      arc: { result: 'none', detail: null },
    });
  });

  it('verifies an ed25519 signature (RFC 8463)', async () => {
    const raw = await dkimSignTestMessage(message(), { domain: 'sender.test', selector: 'ed', key: edKey });
    const result = await verifyMessage(raw, input());
    expect(result.dkim.signatures).toEqual([expect.objectContaining({ selector: 'ed', result: 'pass' })]);
  });

  it('fails DKIM, and DMARC with it, when a signed header changed after signing', async () => {
    const tampered = replaceSubject(await signedBySender(), 'Quarterly report (edited)');
    // SPF passes for the ESP's bounce domain, which does not align with From: only DKIM could satisfy DMARC.
    const result = await verifyMessage(tampered, input({ mailFrom: 'bounces@esp.test' }));

    expect(result.spf).toMatchObject({ result: 'pass', domain: 'esp.test' });
    expect(result.dkim.result).toBe('fail');
    expect(result.dkim.signatures[0]).toMatchObject({ domain: 'sender.test', result: 'fail' });
    expect(result.dmarc).toMatchObject({ result: 'fail', domain: 'sender.test', policy: 'reject', failedPolicy: 'reject' });
    expect(result.authenticationResults).toMatch(/dkim=fail/);
    expect(result.authenticationResults).toMatch(/dmarc=fail/);
  });

  it('fails SPF for a client outside the record, while aligned DKIM still passes DMARC', async () => {
    const result = await verifyMessage(await signedBySender(), input({ clientIp: '192.0.2.99' }));

    expect(result.spf).toMatchObject({ result: 'fail', domain: 'sender.test' });
    expect(result.spf.detail).toContain('does not designate 192.0.2.99');
    expect(result.dmarc.result).toBe('pass');
  });

  it('checks SPF on the HELO name for a null sender (RFC 7208 §2.3)', async () => {
    dns.clearQueries();
    const result = await verifyMessage(Buffer.from(message()), input({ mailFrom: '', helo: 'mail.sender.test' }));

    expect(result.spf).toMatchObject({ result: 'pass', domain: 'mail.sender.test', identity: 'helo' });
    expect(dns.queryCount('mail.sender.test', 'TXT')).toBeGreaterThan(0);
    const fromOutside = await verifyMessage(Buffer.from(message()), input({ mailFrom: '<>', clientIp: '127.0.0.2' }));
    expect(fromOutside.spf).toMatchObject({ result: 'fail', domain: 'mail.sender.test', identity: 'helo' });
  });

  it('reports the DMARC policy a failure falls under', async () => {
    const unsigned = (from: string) => verifyMessage(Buffer.from(message(from)), input({ mailFrom: 'bounces@esp.test' }));

    expect((await unsigned('alice@sender.test')).dmarc).toMatchObject({ result: 'fail', policy: 'reject', failedPolicy: 'reject' });
    expect((await unsigned('carol@quarantine.test')).dmarc).toMatchObject({ result: 'fail', policy: 'quarantine', failedPolicy: 'quarantine' });
    expect((await unsigned('dave@monitor.test')).dmarc).toMatchObject({ result: 'fail', policy: 'none', failedPolicy: null });
    expect((await unsigned('erin@esp.test')).dmarc).toMatchObject({ result: 'none', domain: 'esp.test', policy: null, failedPolicy: null });
    const unsignedResult = await unsigned('alice@sender.test');
    expect(unsignedResult.dkim).toEqual({ result: 'none', signatures: [] });
    expect(toAuthenticationResults(unsignedResult).dkim).toEqual({ result: 'none', detail: null });
  });

  describe('ARC (RFC 8617)', () => {
    // A mailing list verified the original, rewrote the subject (breaking DKIM) and sealed its verdict.
    const forwardedThroughList = async () => {
      const rewritten = replaceSubject(await signedBySender(), '[list] Quarterly report');
      return arcSealTestMessage(rewritten, {
        domain: 'list.test', selector: 'arc', key: listKey,
        authResults: 'list.test; dkim=pass header.d=sender.test; spf=pass smtp.mailfrom=sender.test; dmarc=pass header.from=sender.test',
      });
    };

    it('validates an intact chain as arc=pass', async () => {
      const result = await verifyMessage(await forwardedThroughList(), input({ mailFrom: 'bounces@list.test' }));

      expect(result.dkim.result).toBe('fail');
      expect(result.arc.result).toBe('pass');
      expect(result.authenticationResults).toMatch(/arc=pass/);
      expect(toAuthenticationResults(result).arc).toEqual({ result: 'pass', detail: expect.stringContaining('i=1') });
    });

    it('fails a chain whose sealed message changed afterwards', async () => {
      const broken = replaceSubject(await forwardedThroughList(), '[list] Quarterly report, edited in transit');
      const result = await verifyMessage(broken, input({ mailFrom: 'bounces@list.test' }));

      expect(result.arc.result).toBe('fail');
      expect(result.authenticationResults).toMatch(/arc=fail/);
    });
  });

  describe('temporary DNS failures', () => {
    it('turns SERVFAIL on the SPF and DMARC records into temperror results', async () => {
      const result = await verifyMessage(Buffer.from(message('alice@broken.test')), input({ mailFrom: 'alice@broken.test' }));

      expect(result.spf.result).toBe('temperror');
      expect(result.dmarc.result).toBe('temperror');
      expect(result.authenticationResults).toMatch(/spf=temperror/);
    });

    it('turns SERVFAIL on a DKIM key into dkim=temperror', async () => {
      const raw = await dkimSignTestMessage(message('alice@keyfail.test'), { domain: 'keyfail.test', selector: 'sel1', key: senderKey });
      const result = await verifyMessage(raw, input({ mailFrom: 'bounces@esp.test' }));

      expect(result.dkim).toMatchObject({ result: 'temperror', signatures: [{ domain: 'keyfail.test', result: 'temperror' }] });
    });
  });

  it('gives neutral for a signature whose key is not published', async () => {
    const raw = await dkimSignTestMessage(message(), { domain: 'sender.test', selector: 'unpublished', key: senderKey });
    const result = await verifyMessage(raw, input());
    expect(result.dkim.signatures).toEqual([expect.objectContaining({ selector: 'unpublished', result: 'neutral', detail: 'no key' })]);
    expect(dns.queryCount('unpublished._domainkey.sender.test', 'TXT')).toBe(1);
  });
});
