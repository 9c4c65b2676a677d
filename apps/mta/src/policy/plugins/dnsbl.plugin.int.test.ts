import { checkResult, type HookResult } from '@elemta/domain';
import { createMailResolver, type MailResolver } from '@elemta/infra/dns';
import { startTestDnsServer, type TestDnsServer } from '@elemta/infra/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hooks, PluginServices, SessionView } from '../plugin-api.js';
import { hookContext, messageView } from '../testing/hook-context.js';
import { DNSBL_HELD_ANNOTATION, DNSBL_TAGS_ANNOTATION, dnsblPlugin } from './dnsbl.plugin.js';
import { configProblems } from '../testing/config-problems.js';
import type { PluginDefinition } from '../plugin-api.js';

// 192.0.2.10 and 2001:db8::10 are listed; 192.0.2.20 is listed with a code the returnCodes filter leaves out.
const V4 = '10.2.0.192';
const V6 = '0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2';

let dns: TestDnsServer;
let resolver: MailResolver;
const warnings: { obj: object; msg: string }[] = [];
const log = { debug: () => {}, info: () => {}, warn: (obj: object, msg: string) => void warnings.push({ obj, msg }), error: () => {} };

beforeAll(async () => {
  dns = await startTestDnsServer({
    'zen.example': { SOA: {} },
    [`${V4}.zen.example`]: { A: ['127.0.0.2'], TXT: ['Listed: see https://zen.example/q?ip=192.0.2.10'] },
    [`${V6}.zen.example`]: { A: ['127.0.0.3'] },
    'codes.example': { SOA: {} },
    [`${V4}.codes.example`]: { A: ['127.0.0.2'] },
    '20.2.0.192.codes.example': { A: ['127.0.0.10'] },
    'soft.example': { SOA: {} },
    [`${V4}.soft.example`]: { A: ['127.0.0.2'] },
    'tags.example': { SOA: {} },
    [`${V4}.tags.example`]: { A: ['127.0.0.4'] },
    '30.2.0.192.tags.example': { A: ['127.0.0.4'] },
    'refused.example': { SOA: {} },
    '30.2.0.192.refused.example': { A: ['127.255.255.254'] },
    [`${V4}.broken.example`]: 'SERVFAIL',
    '30.2.0.192.broken.example': 'SERVFAIL',
    [`${V4}.silent.example`]: 'TIMEOUT',
  });
  resolver = createMailResolver({ servers: [dns.address], timeoutMs: 500, tries: 1 });
});
afterAll(async () => {
  await resolver.close();
  await dns.close();
});

const services = (): PluginServices => ({
  dns: { lookup: (name, type) => resolver.lookup(name, type) }, db: null as never, log,
  hostname: 'mx.elemta.test', node: 'node-1', dataDir: '/nonexistent', now: () => new Date(),
});

const hooksFor = async (config: unknown): Promise<Hooks> => dnsblPlugin.setup(dnsblPlugin.parseConfig!(config), services());

const session = (address: string, overrides: Partial<SessionView> = {}): Partial<SessionView> =>
  ({ client: { address, port: 40000, reverseDns: null, helo: 'client.test' }, ...overrides });

const connect = async (hooks: Hooks, address: string, overrides: Partial<SessionView> = {}): Promise<HookResult> =>
  checkResult(await hooks.connect!({ ...hookContext('connect', {}, { session: session(address, overrides) }), log }));

const problems = (raw: unknown): string => configProblems(dnsblPlugin as PluginDefinition<unknown>, raw);

describe('dnsbl config', () => {
  it('needs at least one zone', () => expect(problems({})).toMatch(/^zones: /));

  it('defaults the action to reject and normalises the zone', () =>
    expect(dnsblPlugin.parseConfig!({ zones: [{ zone: 'ZEN.Example.' }] })).toEqual({
      zones: [{ zone: 'zen.example', action: 'reject' }], skipTrustedNetworks: true, skipAuthenticated: true, lookupTimeout: 3,
    }));

  it('names bad values', () => {
    expect(problems({ zones: [{ zone: 'not a zone' }] })).toBe('zones.0.zone: must be a DNS zone such as "zen.example.org"');
    expect(problems({ zones: [{ zone: 'zen.example', action: 'drop' }] })).toBe('zones.0.action: must be reject, tempfail or tag');
    expect(problems({ zones: [{ zone: 'zen.example', returnCodes: ['10.0.0.2'] }] }))
      .toBe('zones.0.returnCodes.0: must be an address in 127.0.0.0/8 such as "127.0.0.2"');
    expect(problems({ zones: [{ zone: 'a.example' }, { zone: 'A.example' }] })).toBe('zones.1.zone: a.example is listed twice');
    expect(problems({ zones: ['zen.example'] })).toBe('zones.0: must be { zone, action, returnCodes }');
  });
});

describe('dnsbl plugin', () => {
  it('rejects a listed IPv4 client with 554 5.7.1, naming the zone and its TXT reason', async () => {
    const hooks = await hooksFor({ zones: [{ zone: 'zen.example' }] });
    expect(await connect(hooks, '192.0.2.10')).toEqual({
      kind: 'reject', code: 554, enhancedCode: '5.7.1',
      text: 'Service unavailable; client [192.0.2.10] blocked using zen.example; Listed: see https://zen.example/q?ip=192.0.2.10',
      reason: 'client 192.0.2.10 listed in zen.example (127.0.0.2)',
    });
  });

  it('rejects a listed IPv6 client, looked up in nibble format', async () => {
    const hooks = await hooksFor({ zones: [{ zone: 'zen.example' }] });
    expect(await connect(hooks, '2001:db8::10')).toEqual({
      kind: 'reject', code: 554, enhancedCode: '5.7.1', text: 'Service unavailable; client [2001:db8::10] blocked using zen.example',
      reason: 'client 2001:db8::10 listed in zen.example (127.0.0.3)',
    });
    expect(dns.queryCount(`${V6}.zen.example`, 'A')).toBe(1);
  });

  it('continues for unlisted clients (NXDOMAIN), IPv4 and IPv6', async () => {
    const hooks = await hooksFor({ zones: [{ zone: 'zen.example' }] });
    expect(await connect(hooks, '192.0.2.99')).toEqual({ kind: 'continue' });
    expect(await connect(hooks, '2001:db8::99')).toEqual({ kind: 'continue' });
  });

  it('queries an IPv4-mapped client by its IPv4 address', async () => {
    const hooks = await hooksFor({ zones: [{ zone: 'zen.example' }] });
    expect(await connect(hooks, '::ffff:192.0.2.10')).toMatchObject({ kind: 'reject', text: expect.stringContaining('[192.0.2.10]') });
  });

  it('counts only the chosen return codes as listings', async () => {
    const hooks = await hooksFor({ zones: [{ zone: 'codes.example', returnCodes: ['127.0.0.2', '127.0.0.3'] }] });
    expect(await connect(hooks, '192.0.2.10')).toMatchObject({ kind: 'reject', reason: 'client 192.0.2.10 listed in codes.example (127.0.0.2)' });
    expect(await connect(hooks, '192.0.2.20')).toEqual({ kind: 'continue' });
  });

  it('continues when a blocklist fails (SERVFAIL) or does not answer, and warns', async () => {
    warnings.length = 0;
    const hooks = await hooksFor({ zones: [{ zone: 'broken.example' }, { zone: 'silent.example' }], lookupTimeout: '2s' });
    expect(await connect(hooks, '192.0.2.10')).toEqual({ kind: 'continue' });
    expect(warnings.map((w) => [(w.obj as { zone: string }).zone, w.msg])).toEqual(expect.arrayContaining([
      ['broken.example', 'blocklist lookup failed; client not checked against it'],
      ['silent.example', 'blocklist lookup failed; client not checked against it'],
    ]));
  });

  it('gives up on slow blocklists at lookupTimeout and still decides on the others', async () => {
    const hooks = await hooksFor({ zones: [{ zone: 'silent.example' }, { zone: 'zen.example' }], lookupTimeout: '200ms' });
    const resolverWithLongTimeout = createMailResolver({ servers: [dns.address], timeoutMs: 3000, tries: 1 });
    try {
      const slow = await dnsblPlugin.setup(dnsblPlugin.parseConfig!({ zones: [{ zone: 'silent.example' }], lookupTimeout: '200ms' }),
        { ...services(), dns: { lookup: (name, type) => resolverWithLongTimeout.lookup(name, type) } });
      warnings.length = 0;
      const started = Date.now();
      expect(await connect(slow, '192.0.2.10')).toEqual({ kind: 'continue' });
      expect(Date.now() - started).toBeLessThan(1500);
      expect(warnings.map((w) => w.msg)).toEqual(['blocklist lookup timed out; client not checked against it']);
    } finally {
      await resolverWithLongTimeout.close();
    }
    expect(await connect(hooks, '192.0.2.10')).toMatchObject({ kind: 'reject', reason: expect.stringContaining('zen.example') });
  });

  it('warns about an error code (e.g. "query refused") and does not treat it as a listing', async () => {
    warnings.length = 0;
    const hooks = await hooksFor({ zones: [{ zone: 'refused.example' }] });
    expect(await connect(hooks, '192.0.2.30')).toEqual({ kind: 'continue' });
    expect(warnings).toEqual([{ obj: expect.objectContaining({ codes: ['127.255.255.254'] }), msg: 'blocklist answered with an error code; check access to it' }]);
  });

  it('defers with 421 4.7.1 for a tempfail zone', async () => {
    const hooks = await hooksFor({ zones: [{ zone: 'soft.example', action: 'tempfail' }] });
    expect(await connect(hooks, '192.0.2.10')).toEqual({
      kind: 'tempfail', code: 421, enhancedCode: '4.7.1', text: 'Service temporarily unavailable; client [192.0.2.10] blocked using soft.example',
      reason: 'client 192.0.2.10 listed in soft.example (127.0.0.2)',
    });
  });

  it('lets a reject zone win over a tempfail zone listed before it', async () => {
    const hooks = await hooksFor({ zones: [{ zone: 'soft.example', action: 'tempfail' }, { zone: 'zen.example' }] });
    expect(await connect(hooks, '192.0.2.10')).toMatchObject({ kind: 'reject', code: 554 });
  });

  it('tags a client listed in a tag zone: remembered at connect, added as a header at data', async () => {
    const hooks = await hooksFor({ zones: [{ zone: 'tags.example', action: 'tag' }, { zone: 'zen.example', action: 'tag' }, { zone: 'broken.example' }] });
    const atConnect = await connect(hooks, '192.0.2.10');
    expect(atConnect).toEqual({ kind: 'continue', annotations: { [DNSBL_TAGS_ANNOTATION]: 'tags.example zen.example' } });
    const atData = checkResult(await hooks.data!(hookContext('data', { message: messageView('Subject: x\r\n\r\nbody\r\n') }, {
      session: session('192.0.2.10'), annotations: atConnect.kind === 'continue' ? { ...atConnect.annotations } : {},
    })));
    expect(atData).toEqual({
      kind: 'tag', headers: [{ name: 'X-Elemta-DNSBL', value: 'tags.example' }, { name: 'X-Elemta-DNSBL', value: 'zen.example' }],
      reason: 'client listed in tags.example, zen.example',
    });
    expect(await hooks.data!(hookContext('data', { message: messageView('Subject: x\r\n\r\n') }, { session: session('192.0.2.99') }))).toBeUndefined();
  });

  it('skips trusted networks', async () => {
    const hooks = await hooksFor({ zones: [{ zone: 'zen.example' }] });
    dns.clearQueries();
    expect(await connect(hooks, '192.0.2.10', { trustedNetwork: true })).toEqual({ kind: 'continue' });
    expect(dns.queries).toEqual([]);
    const strict = await hooksFor({ zones: [{ zone: 'zen.example' }], skipTrustedNetworks: false });
    expect(await connect(strict, '192.0.2.10', { trustedNetwork: true })).toMatchObject({ kind: 'reject' });
  });

  it('holds the refusal of a submission client until MAIL, and drops it once the client authenticated', async () => {
    const hooks = await hooksFor({ zones: [{ zone: 'zen.example' }] });
    const atConnect = await connect(hooks, '192.0.2.10', { role: 'submission' });
    expect(atConnect.kind).toBe('continue');
    const annotations = atConnect.kind === 'continue' ? { ...atConnect.annotations } : {};
    expect(Object.keys(annotations)).toEqual([DNSBL_HELD_ANNOTATION]);
    const mail = async (authUser: string | null) => checkResult(await hooks.mail!(hookContext('mail', { address: 'a@example.org', params: {} }, {
      session: session('192.0.2.10', { role: 'submission', authUser }), annotations,
    })));
    expect(await mail('alice')).toEqual({ kind: 'continue' });
    expect(await mail(null)).toMatchObject({ kind: 'reject', code: 554, enhancedCode: '5.7.1', text: expect.stringContaining('blocked using zen.example') });
  });

  it('refuses submission clients at connect when skipAuthenticated is off', async () => {
    const hooks = await hooksFor({ zones: [{ zone: 'zen.example' }], skipAuthenticated: false });
    expect(await connect(hooks, '192.0.2.10', { role: 'submission' })).toMatchObject({ kind: 'reject' });
  });
});
