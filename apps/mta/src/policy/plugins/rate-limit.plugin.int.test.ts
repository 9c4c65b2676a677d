import { checkResult, type HookResult } from '@elemta/domain';
import { createPool, type Pool } from '@elemta/infra/postgres';
import { createTestDatabase } from '@elemta/infra/testing';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Hooks, PluginServices, SessionView, TransactionView } from '../plugin-api.js';
import { hookContext } from '../testing/hook-context.js';
import { rateLimitPlugin } from './rate-limit.plugin.js';
import { configProblems } from '../testing/config-problems.js';
import type { PluginDefinition } from '../plugin-api.js';

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const pools: Pool[] = [];
const opened: Hooks[] = [];

afterAll(async () => {
  for (const hooks of opened) await hooks.close?.();
  await Promise.all(pools.map((p) => p.end()));
});

/** One Elemta node: its own pool on the shared database, and the plugin set up on it. */
const node = async (rules: unknown[], url: string): Promise<Hooks> => {
  const db = createPool(url);
  pools.push(db);
  const services: PluginServices = {
    dns: { lookup: () => Promise.reject(new Error('no DNS here')) }, db, log: silent,
    hostname: 'mx.elemta.test', node: `node-${pools.length}`, dataDir: '/nonexistent', now: () => new Date(),
  };
  const hooks = await rateLimitPlugin.setup(rateLimitPlugin.parseConfig!({ rules }), services);
  opened.push(hooks);
  return hooks;
};

/** Two nodes with the same rules on a database of their own. */
const cluster = async (rules: unknown[]) => {
  const url = await createTestDatabase(inject('postgresUrl'), 'rate_limit_plugin');
  return [await node(rules, url), await node(rules, url)] as const;
};

const client = (address: string, authUser: string | null = null): Partial<SessionView> =>
  ({ client: { address, port: 40000, reverseDns: null, helo: 'client.test' }, authUser });
const tx = (mailFrom: string): TransactionView => ({ mailFrom, params: {}, rcptTo: [] });

const connect = async (hooks: Hooks, address: string) => checkResult(await hooks.connect!(hookContext('connect', {}, { session: client(address) })));
const mail = async (hooks: Hooks, sender: string, session: Partial<SessionView> = client('192.0.2.1')) =>
  checkResult(await hooks.mail!(hookContext('mail', { address: sender, params: {} }, { session })));
const rcpt = async (hooks: Hooks, sender: string, recipient: string) =>
  checkResult(await hooks.rcpt!(hookContext('rcpt', { address: recipient }, { session: client('192.0.2.1'), transaction: tx(sender) })));

const kinds = (results: HookResult[]) => results.map((r) => r.kind);

const problems = (raw: unknown): string => configProblems(rateLimitPlugin as PluginDefinition<unknown>, raw);

describe('rate-limit config', () => {
  it('needs at least one rule', () => expect(problems({})).toMatch(/^rules: /));

  it('names a bad rate and shows good ones', () =>
    expect(problems({ rules: [{ key: 'client-ip', limit: '100 per hour' }] }))
      .toBe('rules.0.limit: must be a rate such as "100/hour", "10/minute", "5000/day" or "2/second", got "100 per hour"'));

  it('names a bad key', () => expect(problems({ rules: [{ key: 'helo', limit: '1/hour' }] })).toMatch(/^rules\.0\.key: must be one of client-ip, sender, auth-user, sender-domain/));

  it('refuses a sender key at the connect stage, where no sender is known yet', () =>
    expect(problems({ rules: [{ key: 'sender', limit: '1/hour', stage: 'connect' }] }))
      .toBe('rules.0.stage: sender is not known at the connect stage; count it at mail, rcpt or data'));

  it('refuses two rules counting the same hits', () =>
    expect(problems({ rules: [{ key: 'sender', limit: '10/hour' }, { key: 'sender', limit: '20/hour', stage: 'mail' }] }))
      .toMatch(/^rules\.1: counts the same sender hits per 3600 s at mail as rule 0/));

  it('defaults the stage by key', () =>
    expect(rateLimitPlugin.parseConfig!({ rules: [{ key: 'client-ip', limit: '5/minute' }, { key: 'auth-user', limit: '100/day' }] }).rules.map((r) => r.stage))
      .toEqual(['connect', 'mail']));
});

describe('rate-limit plugin', () => {
  it('refuses the connection over the client-ip limit with 421 4.7.0, counted across nodes', async () => {
    const [one, two] = await cluster([{ key: 'client-ip', limit: '3/hour' }]);
    const results = [await connect(one, '203.0.113.5'), await connect(two, '203.0.113.5'), await connect(one, '::ffff:203.0.113.5'), await connect(two, '203.0.113.5')];
    expect(kinds(results)).toEqual(['continue', 'continue', 'continue', 'tempfail']);
    expect(results[3]).toMatchObject({ code: 421, enhancedCode: '4.7.0', text: 'Rate limit exceeded for client-ip, try again later' });
    expect(results[3]!.kind === 'tempfail' && results[3]!.reason).toMatch(/^client-ip 203\.0\.113\.5 over 3 per 3600 s; retry in \d+ s$/);
    expect(await connect(one, '203.0.113.6')).toEqual({ kind: 'continue' });
  });

  it('limits a sender at the mail stage with 450 4.7.1, whatever its case', async () => {
    const [one, two] = await cluster([{ key: 'sender', limit: '2/hour' }]);
    const results = [await mail(one, 'Alice@Example.org'), await mail(two, 'alice@example.org'), await mail(one, 'ALICE@example.org')];
    expect(kinds(results)).toEqual(['continue', 'continue', 'tempfail']);
    expect(results[2]).toMatchObject({ code: 450, enhancedCode: '4.7.1', text: 'Rate limit exceeded for sender, try again later' });
  });

  it('skips the null sender and sessions without an AUTH user', async () => {
    const [one] = await cluster([{ key: 'sender', limit: '1/hour' }, { key: 'auth-user', limit: '1/hour' }]);
    expect(kinds([await mail(one, ''), await mail(one, ''), await mail(one, '<>')])).toEqual(['continue', 'continue', 'continue']);
    expect(kinds([await mail(one, 'x@a.test'), await mail(one, 'y@a.test', client('192.0.2.1', 'carol')), await mail(one, 'z@a.test', client('192.0.2.2', 'carol'))]))
      .toEqual(['continue', 'continue', 'tempfail']);
  });

  it('counts recipients per sender domain at the rcpt stage', async () => {
    const [one, two] = await cluster([{ key: 'sender-domain', limit: '3/hour', stage: 'rcpt' }]);
    const results = [
      await rcpt(one, 'a@bulk.example', 'r1@x.test'), await rcpt(two, 'b@BULK.example', 'r2@x.test'),
      await rcpt(one, 'c@bulk.example', 'r3@x.test'), await rcpt(two, 'd@bulk.example', 'r4@x.test'), await rcpt(one, 'e@other.example', 'r5@x.test'),
    ];
    expect(kinds(results)).toEqual(['continue', 'continue', 'continue', 'tempfail', 'continue']);
  });

  it('counts each rule of a stage, and a refusal by one gives back what the others counted', async () => {
    const [one] = await cluster([{ key: 'client-ip', limit: '10/hour', stage: 'mail' }, { key: 'sender', limit: '1/day' }]);
    expect(kinds([await mail(one, 'a@a.test'), await mail(one, 'a@a.test')])).toEqual(['continue', 'tempfail']);
    // 9 more transactions of other senders fit the client's 10/hour: the refused one was not counted
    const more = [];
    for (let i = 0; i < 9; i++) more.push(await mail(one, `s${i}@a.test`));
    expect(kinds(more).every((k) => k === 'continue')).toBe(true);
    expect(await mail(one, 'last@a.test')).toMatchObject({ kind: 'tempfail', text: 'Rate limit exceeded for client-ip, try again later' });
  });

  it('hooks only the stages its rules count at', async () => {
    const [hooks] = await cluster([{ key: 'auth-user', limit: '5/hour', stage: 'data' }]);
    expect([hooks.connect, hooks.mail, hooks.rcpt].every((h) => h === undefined)).toBe(true);
    expect(typeof hooks.data).toBe('function');
  });
});
