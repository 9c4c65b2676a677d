import { setTimeout as sleep } from 'node:timers/promises';
import { checkResult } from '@elemta/domain';
import { createPool, type Pool } from '@elemta/infra/postgres';
import { createTestDatabase } from '@elemta/infra/testing';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Hooks, PluginServices, SessionView } from '../plugin-api.js';
import { hookContext } from '../testing/hook-context.js';
import { greylistPlugin } from './greylist.plugin.js';
import { configProblems } from '../testing/config-problems.js';
import type { PluginDefinition } from '../plugin-api.js';

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const pools: Pool[] = [];
const opened: Hooks[] = [];
afterAll(async () => {
  for (const hooks of opened) await hooks.close?.();
  await Promise.all(pools.map((p) => p.end()));
});

/** Two Elemta nodes (a pool and a plugin each) on a database of their own. */
const cluster = async (config: Record<string, unknown>) => {
  const url = await createTestDatabase(inject('postgresUrl'), 'greylist_plugin');
  const node = async (name: string) => {
    const db = createPool(url);
    pools.push(db);
    const services: PluginServices = {
      dns: { lookup: () => Promise.reject(new Error('no DNS here')) }, db, log: silent,
      hostname: 'mx.elemta.test', node: name, dataDir: '/nonexistent', now: () => new Date(),
    };
    const hooks = await greylistPlugin.setup(greylistPlugin.parseConfig!(config), services);
    opened.push(hooks);
    return hooks;
  };
  return [await node('node-1'), await node('node-2')] as const;
};

type Attempt = Readonly<{ client?: string; sender?: string; recipient?: string; session?: Partial<SessionView> }>;
const rcpt = async (hooks: Hooks, attempt: Attempt = {}) => checkResult(await hooks.rcpt!(hookContext('rcpt', { address: attempt.recipient ?? 'bob@example.net' }, {
  session: { client: { address: attempt.client ?? '192.0.2.10', port: 40000, reverseDns: null, helo: 'mail.example.org' }, ...attempt.session },
  transaction: { mailFrom: attempt.sender ?? 'alice@example.org', params: {}, rcptTo: [] },
})));

const problems = (raw: unknown): string => configProblems(greylistPlugin as PluginDefinition<unknown>, raw);

describe('greylist config', () => {
  it('has the usual defaults', () => expect(greylistPlugin.parseConfig!({})).toEqual({
    delay: 300, expire: 14_400, autoWhitelist: 35 * 86_400, whitelistClientAfter: 5,
    ipv4Prefix: 24, ipv6Prefix: 64, skipAuthenticated: true, skipTrustedNetworks: true,
  }));

  it('reads durations', () => expect(greylistPlugin.parseConfig!({ delay: '1m', expire: '2h', autoWhitelist: '7d' }))
    .toMatchObject({ delay: 60, expire: 7200, autoWhitelist: 7 * 86_400 }));

  it('names bad values', () => {
    expect(problems({ delay: 'soon' })).toBe('delay: must be a duration from 1 s to 86400 s, e.g. 30, "500ms", "30s", "5m", "4h" or "5d", got "soon"');
    expect(problems({ whitelistClientAfter: -1 })).toBe('whitelistClientAfter: must be a whole number from 0 to 1000000');
    expect(problems({ skipAuthenticated: 'yes' })).toBe('skipAuthenticated: must be true or false');
    expect(problems({ delays: '5m' })).toMatch(/Unrecognized key: "delays"/);
  });

  it('refuses a delay no retry could pass', () =>
    expect(problems({ delay: '2h', expire: '1h' })).toBe('delay: must be shorter than expire, or no retry could ever pass'));
});

describe('greylist plugin', () => {
  it('defers a first attempt with 451 4.7.1, also on the other node, and passes a retry after the delay on either', async () => {
    const [one, two] = await cluster({ delay: '1s' });
    expect(await rcpt(one)).toEqual({
      kind: 'tempfail', code: 451, enhancedCode: '4.7.1', text: 'Greylisted, please try again in 1 second',
      reason: 'greylisted (first-seen): 192.0.2.0/24 <alice@example.org> -> <bob@example.net>',
    });
    expect(await rcpt(two)).toMatchObject({ kind: 'tempfail', reason: expect.stringContaining('too-early') });
    await sleep(1100);
    expect(await rcpt(two, { client: '192.0.2.77' })).toEqual({ kind: 'continue' }); // another address of the same /24
    expect(await rcpt(one)).toEqual({ kind: 'continue' });
    expect(await rcpt(one, { recipient: 'carol@example.net' })).toMatchObject({ kind: 'tempfail' }); // another triplet
  });

  it('says how long is left', async () => {
    const [one] = await cluster({ delay: '5m' });
    expect(await rcpt(one)).toMatchObject({ text: 'Greylisted, please try again in 300 seconds' });
    expect(await rcpt(one)).toMatchObject({ text: expect.stringMatching(/^Greylisted, please try again in (299|300) seconds$/) });
  });

  it('whitelists a client network after enough passed triplets', async () => {
    const [one, two] = await cluster({ delay: '1s', whitelistClientAfter: 2 });
    for (const recipient of ['a@example.net', 'b@example.net']) await rcpt(one, { recipient });
    await sleep(1100);
    for (const recipient of ['a@example.net', 'b@example.net']) expect(await rcpt(one, { recipient })).toEqual({ kind: 'continue' });
    expect(await rcpt(two, { recipient: 'new@example.net', sender: 'other@example.com' })).toEqual({ kind: 'continue' });
    expect(await rcpt(two, { client: '198.51.100.1' })).toMatchObject({ kind: 'tempfail' });
  });

  it('groups IPv6 clients by /64', async () => {
    const [one] = await cluster({ delay: '1s' });
    expect(await rcpt(one, { client: '2001:db8:1:2::10' })).toMatchObject({ reason: expect.stringContaining('2001:db8:1:2::/64') });
    await sleep(1100);
    expect(await rcpt(one, { client: '2001:db8:1:2:ffff::1' })).toEqual({ kind: 'continue' });
  });

  it('skips authenticated users and trusted networks unless told otherwise', async () => {
    const [one] = await cluster({});
    expect(await rcpt(one, { session: { authUser: 'alice' } })).toEqual({ kind: 'continue' });
    expect(await rcpt(one, { session: { trustedNetwork: true } })).toEqual({ kind: 'continue' });
    const [strict] = await cluster({ skipAuthenticated: false, skipTrustedNetworks: false });
    expect(await rcpt(strict, { session: { authUser: 'alice', trustedNetwork: true } })).toMatchObject({ kind: 'tempfail' });
  });
});
