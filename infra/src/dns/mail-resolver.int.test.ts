import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestDnsServer, type TestDnsServer } from '../testing/dns-test-server.js';
import { createMailResolver, DnsLookupError, DnsTemporaryError, InvalidDomainError, type MailResolver, type MailResolverOptions } from './index.js';

let dns: TestDnsServer;
const resolvers: MailResolver[] = [];
const resolver = (options: MailResolverOptions = {}): MailResolver => {
  const created = createMailResolver({ servers: [dns.address], timeoutMs: 500, tries: 1, ...options });
  resolvers.push(created);
  return created;
};

beforeAll(async () => {
  dns = await startTestDnsServer({
    'two-mx.test': { MX: [{ exchange: 'backup.two-mx.test', priority: 20 }, { exchange: 'mx1.two-mx.test', priority: 10 }] },
    'mx1.two-mx.test': { A: ['192.0.2.1', '192.0.2.2'], AAAA: ['2001:db8::1'] },
    'backup.two-mx.test': { AAAA: ['2001:db8::2'] },
    'equal.test': { MX: ['a', 'b', 'c', 'd'].map((h) => ({ exchange: `${h}.equal.test`, priority: 10 })) },
    ...Object.fromEntries(['a', 'b', 'c', 'd'].map((h, i) => [`${h}.equal.test`, { A: [`192.0.2.${10 + i}`] }])),
    'dangling.test': { MX: [{ exchange: 'nowhere.dangling.test', priority: 10 }, { exchange: 'mx.dangling.test', priority: 20 }] },
    'mx.dangling.test': { A: ['192.0.2.30'] },
    'no-hosts.test': { MX: [{ exchange: 'gone.no-hosts.test', priority: 10 }] },
    'implicit.test': { A: ['192.0.2.40'], AAAA: ['2001:db8::40'], TXT: ['v=spf1 -all'] },
    'bare.test': { TXT: ['nothing to deliver to'] },
    'nullmx.test': { MX: [{ exchange: '', priority: 0 }] },
    'broken.test': 'SERVFAIL',
    'refused.test': 'REFUSED',
    'slow.test': 'TIMEOUT',
    'half-broken.test': { MX: [{ exchange: 'dead.half-broken.test', priority: 10 }, { exchange: 'ok.half-broken.test', priority: 20 }] },
    'dead.half-broken.test': 'SERVFAIL',
    'ok.half-broken.test': { A: ['192.0.2.50'] },
    'all-broken.test': { MX: [{ exchange: 'dead.all-broken.test', priority: 10 }] },
    'dead.all-broken.test': 'SERVFAIL',
    'alias.test': { CNAME: 'real.test' },
    'real.test': { MX: [{ exchange: 'mx.real.test', priority: 5 }] },
    'mx.real.test': { A: ['192.0.2.60'] },
    'short-ttl.test': { MX: [{ exchange: 'mx.short-ttl.test', priority: 10 }], ttl: 60 },
    'mx.short-ttl.test': { A: ['192.0.2.70'], ttl: 600 },
    'zone.test': { SOA: { minimum: 30 }, A: ['192.0.2.80'] },
    'many-mx.test': { MX: Array.from({ length: 40 }, (_, i) => ({ exchange: `mail-exchanger-number-${i}.many-mx.test`, priority: i })) },
    ...Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`mail-exchanger-number-${i}.many-mx.test`, { A: [`192.0.2.${100 + i}`] }])),
  });
});
afterEach(async () => {
  await Promise.all(resolvers.splice(0).map((r) => r.close()));
  dns.clearQueries();
});
afterAll(() => dns.close());

describe('resolveDestination', () => {
  it('orders MX hosts by preference and resolves IPv4 before IPv6, dropping nothing that has an address', async () => {
    expect(await resolver().resolveDestination('two-mx.test')).toEqual({
      kind: 'exchangers', implicit: false, exchangers: [
        { exchange: 'mx1.two-mx.test', priority: 10, addresses: ['192.0.2.1', '192.0.2.2', '2001:db8::1'] },
        { exchange: 'backup.two-mx.test', priority: 20, addresses: ['2001:db8::2'] },
      ],
    });
  });

  it('lower-cases the name and ignores a trailing dot', async () => {
    const destination = await resolver().resolveDestination('Two-MX.Test.');
    expect(destination.kind === 'exchangers' && destination.exchangers.map((e) => e.exchange)).toEqual(['mx1.two-mx.test', 'backup.two-mx.test']);
    expect(dns.queryCount('two-mx.test', 'MX')).toBe(1);
  });

  it('shuffles hosts of equal preference', async () => {
    const orders = new Set<string>();
    for (let seed = 0; seed < 8; seed++) {
      const values = [0.9, 0.1, 0.5, 0.3, 0.7].map((v) => (v + seed / 8) % 1);
      let i = 0;
      const destination = await resolver({ random: () => values[i++ % values.length] as number }).resolveDestination('equal.test');
      if (destination.kind !== 'exchangers') throw new Error(destination.kind);
      expect(destination.exchangers.map((e) => e.exchange).sort()).toEqual(['a', 'b', 'c', 'd'].map((h) => `${h}.equal.test`));
      orders.add(destination.exchangers.map((e) => e.exchange).join());
    }
    expect(orders.size).toBeGreaterThan(1);
  });

  it('drops MX hosts without addresses and reports noMailHost when none is left', async () => {
    const destination = await resolver().resolveDestination('dangling.test');
    expect(destination).toEqual({ kind: 'exchangers', implicit: false, exchangers: [{ exchange: 'mx.dangling.test', priority: 20, addresses: ['192.0.2.30'] }] });
    expect(await resolver().resolveDestination('no-hosts.test')).toEqual({ kind: 'noMailHost' });
  });

  it('falls back to the domain’s own A/AAAA records as an implicit MX', async () => {
    expect(await resolver().resolveDestination('implicit.test')).toEqual({
      kind: 'exchangers', implicit: true, exchangers: [{ exchange: 'implicit.test', priority: 0, addresses: ['192.0.2.40', '2001:db8::40'] }],
    });
    expect(await resolver().resolveDestination('bare.test')).toEqual({ kind: 'noMailHost' });
  });

  it('recognises a null MX (RFC 7505) without resolving anything else', async () => {
    expect(await resolver().resolveDestination('nullmx.test')).toEqual({ kind: 'nullMx' });
    expect(dns.queries.map((q) => q.type)).toEqual(['MX']);
  });

  it('reports NXDOMAIN as noSuchDomain', async () => {
    expect(await resolver().resolveDestination('does-not-exist.test')).toEqual({ kind: 'noSuchDomain' });
  });

  it('follows a CNAME to the MX records of its target', async () => {
    expect(await resolver().resolveDestination('alias.test')).toEqual({
      kind: 'exchangers', implicit: false, exchangers: [{ exchange: 'mx.real.test', priority: 5, addresses: ['192.0.2.60'] }],
    });
  });

  it('retries a truncated answer over TCP', async () => {
    const destination = await resolver().resolveDestination('many-mx.test');
    expect(destination.kind === 'exchangers' && destination.exchangers.length).toBe(40);
    expect(dns.queries.filter((q) => q.name === 'many-mx.test').map((q) => q.transport)).toEqual(['udp', 'tcp']);
  });
});

describe('temporary failures', () => {
  it.each([['broken.test', 'SERVFAIL'], ['refused.test', 'REFUSED']])('throws DnsTemporaryError when %s answers %s', async (domain, rcode) => {
    const error = await resolver().resolveDestination(domain).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DnsTemporaryError);
    expect(error).toMatchObject({ rcode });
  });

  it('throws DnsTemporaryError once every try has timed out', async () => {
    const started = performance.now();
    const error = await resolver({ timeoutMs: 200, tries: 2 }).resolveDestination('slow.test').catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(DnsTemporaryError);
    expect(error).toMatchObject({ rcode: 'TIMEOUT' });
    expect(elapsed).toBeGreaterThanOrEqual(390);
    expect(elapsed).toBeLessThan(1500);
    expect(dns.queryCount('slow.test', 'MX')).toBe(2);
  });

  it('throws DnsTemporaryError when no name server answers at all', async () => {
    const unused = await startTestDnsServer();
    await unused.close();
    const error = await resolver({ servers: [unused.address], timeoutMs: 200 }).resolveDestination('two-mx.test').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DnsTemporaryError);
  });

  it('skips an MX host whose lookup fails when another resolves, and throws when none does', async () => {
    expect(await resolver().resolveDestination('half-broken.test')).toEqual({
      kind: 'exchangers', implicit: false, exchangers: [{ exchange: 'ok.half-broken.test', priority: 20, addresses: ['192.0.2.50'] }],
    });
    await expect(resolver().resolveDestination('all-broken.test')).rejects.toMatchObject({ name: 'DnsTemporaryError', rcode: 'SERVFAIL' });
  });

  it('never caches a failure', async () => {
    const r = resolver();
    await expect(r.resolveDestination('broken.test')).rejects.toBeInstanceOf(DnsTemporaryError);
    await expect(r.resolveDestination('broken.test')).rejects.toBeInstanceOf(DnsTemporaryError);
    expect(dns.queryCount('broken.test', 'MX')).toBe(2);
  });

  it('rejects pending lookups when closed', async () => {
    const r = createMailResolver({ servers: [dns.address], timeoutMs: 5_000 });
    const pending = r.resolveDestination('slow.test');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await r.close();
    await expect(pending).rejects.toMatchObject({ name: 'DnsTemporaryError', rcode: 'CLOSED' });
  });
});

describe('caching', () => {
  it('answers from the cache within the TTL and asks again once it has passed', async () => {
    let now = 1_000_000;
    const r = resolver({ now: () => now });
    const first = await r.resolveDestination('short-ttl.test');
    expect(await r.resolveDestination('short-ttl.test')).toEqual(first);
    expect(dns.queryCount('short-ttl.test', 'MX')).toBe(1);
    expect(dns.queryCount('mx.short-ttl.test', 'A')).toBe(1);

    now += 59_000;
    await r.resolveDestination('short-ttl.test');
    expect(dns.queryCount('short-ttl.test', 'MX')).toBe(1);

    now += 2_000; // past the MX TTL (60 s), well within the A TTL (600 s)
    await r.resolveDestination('short-ttl.test');
    expect(dns.queryCount('short-ttl.test', 'MX')).toBe(2);
    expect(dns.queryCount('mx.short-ttl.test', 'A')).toBe(1);
  });

  it('sees changed records once the old ones have expired', async () => {
    let now = 0;
    const r = resolver({ now: () => now });
    dns.setZone('moving.test', { A: ['192.0.2.90'], ttl: 10 });
    expect(await r.resolveDestination('moving.test')).toMatchObject({ exchangers: [{ addresses: ['192.0.2.90'] }] });
    dns.setZone('moving.test', { A: ['192.0.2.91'], ttl: 10 });
    expect(await r.resolveDestination('moving.test')).toMatchObject({ exchangers: [{ addresses: ['192.0.2.90'] }] });
    now += 11_000;
    expect(await r.resolveDestination('moving.test')).toMatchObject({ exchangers: [{ addresses: ['192.0.2.91'] }] });
  });

  it('caches NXDOMAIN for the SOA minimum (RFC 2308)', async () => {
    let now = 0;
    const r = resolver({ now: () => now });
    expect(await r.resolveDestination('missing.zone.test')).toEqual({ kind: 'noSuchDomain' });
    now += 29_000;
    expect(await r.resolveDestination('missing.zone.test')).toEqual({ kind: 'noSuchDomain' });
    expect(dns.queryCount('missing.zone.test', 'MX')).toBe(1);
    now += 2_000;
    await r.resolveDestination('missing.zone.test');
    expect(dns.queryCount('missing.zone.test', 'MX')).toBe(2);
  });

  it('caches NODATA too', async () => {
    let now = 0;
    const r = resolver({ now: () => now });
    await r.resolveDestination('zone.test');
    await r.resolveDestination('zone.test');
    expect(dns.queryCount('zone.test', 'MX')).toBe(1);
    now += 31_000;
    await r.resolveDestination('zone.test');
    expect(dns.queryCount('zone.test', 'MX')).toBe(2);
  });

  it('uses negativeTtlSeconds when a negative answer carries no SOA minimum, and honours maxTtlSeconds', async () => {
    let now = 0;
    const r = resolver({ now: () => now, cache: { maxTtlSeconds: 5 } });
    await r.resolveDestination('implicit.test');
    now += 4_000;
    await r.resolveDestination('implicit.test');
    expect(dns.queryCount('implicit.test', 'MX')).toBe(1);
    now += 2_000;
    await r.resolveDestination('implicit.test');
    expect(dns.queryCount('implicit.test', 'MX')).toBe(2);
  });

  it('shares one query among concurrent lookups of the same name', async () => {
    const r = resolver();
    const results = await Promise.all(Array.from({ length: 10 }, () => r.resolveDestination('two-mx.test')));
    expect(new Set(results.map((d) => JSON.stringify(d.kind))).size).toBe(1);
    expect(dns.queryCount('two-mx.test', 'MX')).toBe(1);
    expect(dns.queryCount('mx1.two-mx.test', 'A')).toBe(1);
  });
});

describe('invalid domain names', () => {
  it.each(['', '.', 'a..b', `${'x'.repeat(64)}.test`, `${'abc.'.repeat(64)}test`, '-lead.test', 'sp ace.test', '[192.0.2.1]', 'under_score.test'])(
    'rejects %j with InvalidDomainError and sends no query',
    async (domain) => {
      await expect(resolver().resolveDestination(domain)).rejects.toBeInstanceOf(InvalidDomainError);
      expect(dns.queries).toEqual([]);
    },
  );

  it('accepts an internationalised name as its A-label', async () => {
    dns.setZone('xn--bcher-kva.test', { A: ['192.0.2.99'] });
    expect(await resolver().resolveDestination('BÜCHER.test')).toMatchObject({ exchangers: [{ exchange: 'xn--bcher-kva.test' }] });
  });

  describe('lookup (node dns.promises shapes)', () => {
    it('answers A, AAAA, MX, TXT and CNAME-followed names in node\'s shapes', async () => {
      const r = resolver();
      expect(await r.lookup('mx1.two-mx.test', 'A')).toEqual(['192.0.2.1', '192.0.2.2']);
      expect(await r.lookup('mx1.two-mx.test.', 'AAAA')).toEqual(['2001:db8::1']);
      expect(await r.lookup('real.test', 'MX')).toEqual([{ exchange: 'mx.real.test', priority: 5 }]);
      expect(await r.lookup('implicit.test', 'TXT')).toEqual([['v=spf1 -all']]);
      expect(await r.lookup('alias.test', 'MX')).toEqual([{ exchange: 'mx.real.test', priority: 5 }]);
    });

    it('fails with node\'s codes: ENOTFOUND, ENODATA, ESERVFAIL, ECONNREFUSED', async () => {
      const r = resolver();
      await expect(r.lookup('missing.test', 'TXT')).rejects.toMatchObject({ code: 'ENOTFOUND', hostname: 'missing.test' });
      await expect(r.lookup('bare.test', 'A')).rejects.toMatchObject({ code: 'ENODATA' });
      await expect(r.lookup('broken.test', 'TXT')).rejects.toMatchObject({ code: 'ESERVFAIL' });
      await expect(r.lookup('refused.test', 'TXT')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      await expect(r.lookup('missing.test', 'A')).rejects.toBeInstanceOf(DnsLookupError);
    });
  });
});
