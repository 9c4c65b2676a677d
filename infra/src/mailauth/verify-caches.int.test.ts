import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailResolver, type MailResolver } from '../dns/index.js';
import { startTestDnsServer, type TestDnsServer } from '../testing/dns-test-server.js';
import { dkimKeyRecord, dkimSignTestMessage, generateDkimKey, type DkimTestKey } from '../testing/mail-auth-zones.js';
import { mailauth, mailauthCacheStats, mailauthCachesActive, type MailauthCacheStats } from './mailauth-library.js';
import { verifyMessage, type VerifyMessageInput } from './verify-message.js';

// The key cache and the SPF/DMARC memos (mailauth-library.ts) must change nothing but the cost: the records here have
// a TTL of 0, so the resolver asks the server every time and a changed record must show in the very next result.
let dns: TestDnsServer;
let resolver: MailResolver;
let keyA: DkimTestKey;
let keyB: DkimTestKey;

const SPF = 'v=spf1 ip4:127.0.0.0/8 -all';
const zones = () => ({
  'memo.test': { TXT: [SPF], ttl: 0 },
  '_dmarc.memo.test': { TXT: ['v=DMARC1; p=reject'], ttl: 0 },
  'sel._domainkey.memo.test': { TXT: [dkimKeyRecord(keyA)], ttl: 0 },
  'temp.test': 'SERVFAIL' as const,
});

let n = 0;
const signed = (key = keyA) => dkimSignTestMessage([
  'From: <ann@memo.test>', 'To: <bob@rcpt.test>', `Subject: number ${++n}`, `Message-ID: <${n}@memo.test>`,
  '', `Message ${n}.`, '',
].join('\r\n'), { domain: 'memo.test', selector: 'sel', key });

const input = (overrides: Partial<VerifyMessageInput> = {}): VerifyMessageInput => ({
  clientIp: '127.0.0.1', helo: 'mail.memo.test', mailFrom: 'ann@memo.test', mtaHostname: 'mx.elemta.test',
  lookup: (name, type) => resolver.lookup(name, type), ...overrides,
});

const delta = (before: MailauthCacheStats) => {
  const now = mailauthCacheStats();
  return {
    keys: { hits: now.keys.hits - before.keys.hits, misses: now.keys.misses - before.keys.misses },
    spf: { hits: now.spf.hits - before.spf.hits, misses: now.spf.misses - before.spf.misses },
    dmarc: { hits: now.dmarc.hits - before.dmarc.hits, misses: now.dmarc.misses - before.dmarc.misses },
  };
};

beforeAll(async () => {
  [keyA, keyB] = await Promise.all([generateDkimKey('rsa'), generateDkimKey('rsa')]);
  dns = await startTestDnsServer(zones());
  resolver = createMailResolver({ servers: [dns.address], timeoutMs: 500, tries: 1 });
});
afterAll(async () => {
  await resolver?.close();
  await dns?.close();
});

describe('mailauth with cached keys and memoized SPF and DMARC', () => {
  it('is the mailauth in use, and its results still carry the key as PEM', async () => {
    expect(mailauthCachesActive).toBe(true);
    for (let i = 0; i < 2; i++) { // parsed, then from the cache
      const { dkim } = await mailauth.authenticate(await signed(), {
        ip: '127.0.0.1', helo: 'mail.memo.test', sender: 'ann@memo.test', mta: 'mx.elemta.test', disableBimi: true,
        resolver: (async (name: string, type: string) => resolver.lookup(name, type as 'TXT')) as never,
      });
      expect(dkim.results[0]?.status.result).toBe('pass');
      expect(String((dkim.results[0] as { publicKey?: unknown }).publicKey)).toMatch(/^-----BEGIN RSA PUBLIC KEY-----/);
    }
  });

  it('reuses the parsed key and the SPF and DMARC results for the next message, with the same outcome', async () => {
    await verifyMessage(await signed(), input());
    const before = mailauthCacheStats();
    const second = await verifyMessage(await signed(), input());

    expect([second.spf.result, second.dkim.result, second.dmarc.result]).toEqual(['pass', 'pass', 'pass']);
    expect(second.authenticationResults).toContain('dkim=pass header.i=@memo.test header.s=sel');
    expect(delta(before)).toEqual({ keys: { hits: 1, misses: 0 }, spf: { hits: 1, misses: 0 }, dmarc: { hits: 1, misses: 0 } });
  });

  it('sees a rotated key at once: the old signature fails, a signature by the new key passes', async () => {
    dns.setZone('sel._domainkey.memo.test', { TXT: [dkimKeyRecord(keyB)], ttl: 0 });
    try {
      const before = mailauthCacheStats();
      const old = await verifyMessage(await signed(keyA), input());
      expect(old.dkim.result).toBe('fail');
      const fresh = await verifyMessage(await signed(keyB), input());
      expect(fresh.dkim.result).toBe('pass');
      expect(delta(before).keys).toEqual({ hits: 1, misses: 1 });
    } finally {
      dns.setZone('sel._domainkey.memo.test', zones()['sel._domainkey.memo.test']);
    }
  });

  it('sees a changed SPF record and a changed DMARC policy at once', async () => {
    await verifyMessage(await signed(), input());
    dns.setZone('memo.test', { TXT: ['v=spf1 -all'], ttl: 0 });
    dns.setZone('_dmarc.memo.test', { TXT: ['v=DMARC1; p=quarantine'], ttl: 0 });
    try {
      const result = await verifyMessage(await signed(), input());
      expect(result.spf.result).toBe('fail');
      expect(result.dmarc).toMatchObject({ result: 'pass', policy: 'quarantine' });
    } finally {
      dns.setZone('memo.test', zones()['memo.test']);
      dns.setZone('_dmarc.memo.test', zones()['_dmarc.memo.test']);
    }
    const restored = await verifyMessage(await signed(), input());
    expect(restored.spf.result).toBe('pass');
    expect(restored.dmarc.policy).toBe('reject');
  });

  it('asks once when a record it relied on stops answering, and gives temperror', async () => {
    await verifyMessage(await signed(), input());
    dns.setZone('memo.test', 'TIMEOUT');
    dns.clearQueries();
    try {
      const result = await verifyMessage(await signed(), input());
      expect(result.spf.result).toBe('temperror');
      expect(dns.queryCount('memo.test', 'TXT')).toBe(1); // the check of the memo's answer is the evaluation's answer
    } finally {
      dns.setZone('memo.test', zones()['memo.test']);
    }
  });

  it('does not reuse a result whose record uses the time macro, even split between two strings', async () => {
    dns.setZone('memo.test', { TXT: [['v=spf1 ip4:127.0.0.0/8 exists:%', '{t}.time.memo.test -all']], ttl: 0 });
    try {
      const before = mailauthCacheStats();
      for (let i = 0; i < 2; i++) expect((await verifyMessage(await signed(), input())).spf.result).toBe('pass');
      expect(delta(before).spf).toEqual({ hits: 0, misses: 2 });
    } finally {
      dns.setZone('memo.test', zones()['memo.test']);
    }
  });

  it('parses a signing key once, however many messages it signs', async () => {
    const before = mailauthCacheStats().signingKeys;
    const first = await signed(keyB);
    const second = await signed(keyB);
    const after = mailauthCacheStats().signingKeys;
    expect(after.misses - before.misses).toBeLessThanOrEqual(1); // keyB may have signed before, in another test
    expect(after.hits - before.hits).toBeGreaterThanOrEqual(1);
    expect(first.subarray(0, 15).toString()).toBe('DKIM-Signature:');
    expect(second.equals(first)).toBe(false);
  });

  it('never reuses a result that met a temporary DNS failure', async () => {
    const before = mailauthCacheStats();
    for (let i = 0; i < 2; i++) {
      const result = await verifyMessage(await signed(), input({ mailFrom: 'ann@temp.test' }));
      expect(result.spf.result).toBe('temperror');
    }
    expect(delta(before).spf).toEqual({ hits: 0, misses: 2 });
  });
});
