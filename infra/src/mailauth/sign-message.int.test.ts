import { authenticate, dkimVerify } from 'mailauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailResolver, type MailResolver } from '../dns/index.js';
import { startTestDnsServer, type TestDnsServer } from '../testing/dns-test-server.js';
import { arcSealContext } from './sign-arc-context.js';
import { generateDkimKey, txtCharacterStrings } from './sign-keys.js';
import { arcSealMessage, dkimSignMessage, SigningError } from './sign-message.js';

let dns: TestDnsServer;
let resolver: MailResolver;
const rsa = generateDkimKey({ algorithm: 'rsa' });
const ed25519 = generateDkimKey({ algorithm: 'ed25519' });
const arcKey = generateDkimKey({ algorithm: 'rsa' });
const hopKey = generateDkimKey({ algorithm: 'rsa' });

beforeAll(async () => {
  dns = await startTestDnsServer({
    's1._domainkey.example.test': { TXT: [txtCharacterStrings(rsa.dnsRecord)] },
    'ed1._domainkey.example.test': { TXT: [ed25519.dnsRecord] },
    'arc1._domainkey.forwarder.test': { TXT: [txtCharacterStrings(arcKey.dnsRecord)] },
    'arc1._domainkey.hop.test': { TXT: [txtCharacterStrings(hopKey.dnsRecord)] },
    'test': { SOA: {} },
  });
  resolver = createMailResolver({ servers: [dns.address], timeoutMs: 500, tries: 1 });
});

afterAll(async () => {
  await resolver?.close();
  await dns?.close();
});

/** mailauth's resolver hook, through our own resolver and the DNS server on loopback. */
const lookup = (name: string, type: string) => resolver.lookup(name, type as 'TXT');

const message = (eol = '\r\n') => [
  'From: Alice <alice@example.test>', 'To: bob@dest.test', 'Subject: signed', 'Date: Thu, 1 Jan 2026 00:00:00 +0000',
  'Message-ID: <m1@example.test>', 'X-Unsigned: may change', '', 'Hello Bob,', '', 'bye.', '',
].join(eol);

describe('dkimSignMessage', () => {
  it('prepends a DKIM-Signature that verifies against the published RSA key, leaving the message untouched', async () => {
    const raw = Buffer.from(message());
    const signed = Buffer.from(await dkimSignMessage(raw, { domain: 'example.test', selector: 's1', privateKey: rsa.privateKeyPem }));
    expect(signed.subarray(signed.length - raw.length).equals(raw)).toBe(true);
    expect(signed.toString().replace(/\r\n[ \t]+/g, ' ')).toMatch(/^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/relaxed; d=example\.test;/);
    const { results } = await dkimVerify(signed, { resolver: lookup });
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ signingDomain: 'example.test', selector: 's1', status: { result: 'pass' } });
  });

  it('signs with Ed25519 (RFC 8463) and only the headers asked for', async () => {
    const signed = await dkimSignMessage(Buffer.from(message()), {
      domain: 'example.test', selector: 'ed1', privateKey: ed25519.privateKeyPem, headers: ['From', 'Subject'],
    });
    const text = Buffer.from(signed).toString().replace(/\r\n[ \t]+/g, ' ');
    expect(text).toMatch(/a=ed25519-sha256/);
    expect(text).toMatch(/h=Subject: From;/);
    const { results } = await dkimVerify(Buffer.from(signed), { resolver: lookup });
    expect(results[0]).toMatchObject({ signingDomain: 'example.test', status: { result: 'pass' } });
  });

  it('keeps the line endings of a bare-LF message', async () => {
    const signed = Buffer.from(await dkimSignMessage(Buffer.from(message('\n')), { domain: 'example.test', selector: 's1', privateKey: rsa.privateKeyPem }));
    expect(signed.includes('\r')).toBe(false);
    const { results } = await dkimVerify(signed, { resolver: lookup });
    expect(results[0]!.status.result).toBe('pass');
  });

  it('a verifier sees a changed signed header as a failure', async () => {
    const signed = Buffer.from(await dkimSignMessage(Buffer.from(message()), { domain: 'example.test', selector: 's1', privateKey: rsa.privateKeyPem }));
    const { results } = await dkimVerify(Buffer.from(signed.toString().replace('Subject: signed', 'Subject: forged')), { resolver: lookup });
    expect(results[0]!.status.result).toBe('fail');
  });

  it('throws SigningError instead of returning an unsigned message', async () => {
    await expect(dkimSignMessage(Buffer.from(message()), { domain: 'example.test', selector: 's1', privateKey: 'no key' }))
      .rejects.toBeInstanceOf(SigningError);
    await expect(dkimSignMessage(Buffer.from(message()), {
      domain: 'example.test', selector: 's1', privateKey: ed25519.privateKeyPem, algorithm: 'rsa-sha256',
    })).rejects.toThrow(/Invalid key type/);
  });
});

describe('arcSealMessage', () => {
  const received = (ar: string, extra: string[] = []) => Buffer.from([`Authentication-Results: ${ar}`, ...extra, message()].join('\r\n'));

  it('adds an ARC set (i=1, cv=none) that a receiver verifies as arc=pass', async () => {
    const raw = received('mx.forwarder.test; spf=pass smtp.mailfrom=alice@example.test; dkim=none');
    const context = arcSealContext(raw, 'mx.forwarder.test');
    expect(context).toMatchObject({ seal: true, cv: 'none', instance: 1 });
    if (!context.seal) return;
    const sealed = Buffer.from(await arcSealMessage(raw, {
      domain: 'forwarder.test', selector: 'arc1', privateKey: arcKey.privateKeyPem,
      authResults: context.authResults, cv: context.cv, instance: context.instance,
    }));
    const text = sealed.toString().replace(/\r\n[ \t]+/g, ' ');
    expect(text).toMatch(/^ARC-Seal: i=1; a=rsa-sha256; t=\d+; cv=none; d=forwarder\.test; s=arc1;/);
    expect(text).toContain('ARC-Authentication-Results: i=1; mx.forwarder.test; spf=pass smtp.mailfrom=alice@example.test; dkim=none');
    const result = await authenticate(sealed, { resolver: lookup, ip: '192.0.2.1', helo: 'mx.forwarder.test', sender: 'alice@example.test', mta: 'mx.dest.test' });
    expect(result.arc).toMatchObject({ i: 1, status: { result: 'pass' } });
  });

  it('continues a verified chain with cv=pass, and the longer chain still verifies', async () => {
    const first = Buffer.from(await arcSealMessage(received('mx.hop.test; spf=pass'), {
      domain: 'hop.test', selector: 'arc1', privateKey: hopKey.privateKeyPem, authResults: 'mx.hop.test; spf=pass', cv: 'none', instance: 1,
    }));
    const raw = Buffer.concat([Buffer.from('Authentication-Results: mx.forwarder.test; arc=pass (i=1); spf=fail\r\n'), first]);
    const context = arcSealContext(raw, 'mx.forwarder.test');
    expect(context).toMatchObject({ seal: true, cv: 'pass', instance: 2 });
    if (!context.seal) return;
    const sealed = await arcSealMessage(raw, {
      domain: 'forwarder.test', selector: 'arc1', privateKey: arcKey.privateKeyPem,
      authResults: context.authResults, cv: context.cv, instance: context.instance,
    });
    expect(Buffer.from(sealed).toString().replace(/\r\n[ \t]+/g, ' ')).toMatch(/^ARC-Seal: i=2; a=rsa-sha256; t=\d+; cv=pass;/);
    const result = await authenticate(Buffer.from(sealed), { resolver: lookup, ip: '192.0.2.1', helo: 'x', sender: 'alice@example.test', mta: 'mx.dest.test' });
    expect(result.arc).toMatchObject({ i: 2, status: { result: 'pass' } });
  });

  it('throws SigningError for a key ARC cannot use', async () => {
    await expect(arcSealMessage(received('mx.forwarder.test; spf=pass'), {
      domain: 'forwarder.test', selector: 'arc1', privateKey: 'no key', authResults: 'mx.forwarder.test; spf=pass', cv: 'none', instance: 1,
    })).rejects.toBeInstanceOf(SigningError);
  });
});
