import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMailResolver, type MailResolver } from '../dns/index.js';
import { startTestDnsServer, type TestDnsServer } from '../testing/dns-test-server.js';
import { dkimSignTestMessage, generateDkimKey, mailAuthZones, mergeTestZones, spfRecord, type DkimTestKey } from '../testing/mail-auth-zones.js';
import { verifyMessage } from './verify-message.js';
import { createVerificationPool, type VerificationPool, type VerifyJobInput } from './verify-pool.js';

let dns: TestDnsServer;
let resolver: MailResolver;
let key: DkimTestKey;
const pools: VerificationPool[] = [];

const job: VerifyJobInput = { clientIp: '127.0.0.1', helo: 'mail.pool.test', mailFrom: 'ann@pool.test', mtaHostname: 'mx.elemta.test' };
let n = 0;
const signed = () => dkimSignTestMessage([
  'From: <ann@pool.test>', 'To: <bob@rcpt.test>', `Subject: job ${++n}`, `Message-ID: <${n}@pool.test>`, '', `Body ${n}.`, '',
].join('\r\n'), { domain: 'pool.test', selector: 'sel', key });

const pool = (threads: number) => {
  const created = createVerificationPool({ threads, lookup: (name, type) => resolver.lookup(name, type), ...(resolver.settings ? { resolver: resolver.settings } : {}) });
  pools.push(created);
  return created;
};

beforeAll(async () => {
  key = await generateDkimKey('rsa');
  dns = await startTestDnsServer(mergeTestZones(
    mailAuthZones({ domain: 'pool.test', spf: spfRecord(), dmarc: { p: 'reject' }, dkim: [{ selector: 'sel', key }] }),
    { 'slow.test': 'TIMEOUT' },
  ));
  resolver = createMailResolver({ servers: [dns.address], timeoutMs: 500, tries: 1 });
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});
afterAll(async () => {
  await resolver?.close();
  await dns?.close();
});

describe('createVerificationPool', () => {
  it('gives on a worker thread exactly what verifyMessage gives on this one, with its own lookups', async () => {
    const message = await signed();
    const here = await verifyMessage(message, { ...job, lookup: (name, type) => resolver.lookup(name, type) });
    dns.clearQueries();
    const there = await pool(1).verify(message, job);

    expect(there).toEqual(here);
    expect([there.spf.result, there.dkim.result, there.dmarc.result]).toEqual(['pass', 'pass', 'pass']);
    // the thread's resolver has a cache of its own: it asked the server itself
    expect(dns.queryCount('sel._domainkey.pool.test', 'TXT')).toBe(1);
  });

  it('copies only the message out of a larger buffer, and serves concurrent jobs on two threads', async () => {
    const messages = await Promise.all(Array.from({ length: 30 }, () => signed()));
    const backing = Buffer.concat([Buffer.alloc(100, 'x'), ...messages]);
    let offset = 100;
    const views = messages.map((m) => { const view = backing.subarray(offset, offset + m.length); offset += m.length; return view; });
    const two = pool(2);
    const results = await Promise.all(views.map((view) => two.verify(view, job)));

    expect(results.map((r) => r.dkim.result)).toEqual(views.map(() => 'pass'));
    expect(backing.subarray(100)).toEqual(Buffer.concat(messages)); // the caller's buffer is left as it was
  });

  it('turns a DNS failure on the thread into temperror results, not an error', async () => {
    const result = await pool(1).verify(await signed(), { ...job, mailFrom: 'ann@slow.test' });
    expect(result.spf.result).toBe('temperror');
    expect(result.dkim.result).toBe('pass');
  });

  it('fails jobs once closed', async () => {
    const verifying = pool(1);
    expect((await verifying.verify(await signed(), job)).dkim.result).toBe('pass');
    await verifying.close();
    await expect(verifying.verify(await signed(), job)).rejects.toThrow('the verification pool is closed');
  });

  it('verifies on the calling thread with 0 threads, and refuses threads without resolver settings', async () => {
    expect((await pool(0).verify(await signed(), job)).dmarc.result).toBe('pass');
    expect(() => createVerificationPool({ threads: 1, lookup: (name, type) => resolver.lookup(name, type) }))
      .toThrow('verification threads need the resolver settings');
    expect(() => createVerificationPool({ threads: -1, lookup: (name, type) => resolver.lookup(name, type) })).toThrow('threads must be');
  });
});
