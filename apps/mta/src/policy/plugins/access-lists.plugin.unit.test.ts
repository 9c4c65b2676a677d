import { checkResult } from '@elemta/domain';
import { describe, expect, it } from 'vitest';
import type { Hooks, PluginServices } from '../plugin-api.js';
import { hookContext } from '../testing/hook-context.js';
import { accessListsPlugin } from './access-lists.plugin.js';
import { configProblems } from '../testing/config-problems.js';
import type { PluginDefinition } from '../plugin-api.js';

const services = {} as PluginServices; // the plugin uses no services

const problems = (raw: unknown): string => configProblems(accessListsPlugin as PluginDefinition<unknown>, raw);

const hooksFor = async (raw: unknown): Promise<Hooks> => accessListsPlugin.setup(accessListsPlugin.parseConfig!(raw), services);

const connect = async (hooks: Hooks, address: string) =>
  checkResult(await hooks.connect!(hookContext('connect', {}, { session: { client: { address, port: 40000, reverseDns: null, helo: null } } })));
const mail = async (hooks: Hooks, address: string) => checkResult(await hooks.mail!(hookContext('mail', { address, params: {} })));
const rcpt = async (hooks: Hooks, address: string) => checkResult(await hooks.rcpt!(hookContext('rcpt', { address })));

describe('access-lists config', () => {
  it('defaults to empty lists and hooks no stage', async () => {
    const hooks = await hooksFor({});
    expect(Object.keys(hooks)).toEqual([]);
  });

  it('hooks only the stages whose lists have entries', async () => {
    expect(Object.keys(await hooksFor({ recipients: { deny: ['x@example.org'] } }))).toEqual(['rcpt']);
  });

  it('names a bad address pattern and what a good one looks like', () =>
    expect(problems({ senders: { deny: ['ok@example.org', '*@example.org'] } }))
      .toBe('senders.deny.1: "*@example.org" may use "*" only as "*.example.org" (sub-domains); write "example.org" or "@example.org" for a whole domain'));

  it('refuses a client entry that is not an address or CIDR block', () =>
    expect(problems({ clients: { allow: ['192.0.2.0/33'] } }))
      .toBe('clients.allow.0: must be an IP address or CIDR block such as "192.0.2.0/24" or "2001:db8::/32", got "192.0.2.0/33"'));

  it('refuses unknown keys', () => {
    expect(problems({ sender: { deny: [] } })).toMatch(/^Unrecognized key: "sender"/);
    expect(problems({ senders: { block: [] } })).toMatch(/^senders: Unrecognized key: "block"/);
    expect(problems({ senders: 'example.org' })).toBe('senders: must be { allow: [...], deny: [...] }');
  });
});

describe('access-lists clients (connect stage)', () => {
  it('rejects a denied client with 554 5.7.1', async () => {
    const hooks = await hooksFor({ clients: { deny: ['203.0.113.0/24'] } });
    expect(await connect(hooks, '203.0.113.9')).toEqual({
      kind: 'reject', code: 554, enhancedCode: '5.7.1', text: 'Client host [203.0.113.9] rejected: access denied',
      reason: 'client 203.0.113.9 matches deny entry 203.0.113.0/24',
    });
  });

  it('accepts an allowed address inside a denied network (the longest prefix wins)', async () => {
    const hooks = await hooksFor({ clients: { allow: ['203.0.113.7'], deny: ['203.0.113.0/24'] } });
    expect(await connect(hooks, '203.0.113.7')).toMatchObject({ kind: 'accept' });
    expect(await connect(hooks, '203.0.113.8')).toMatchObject({ kind: 'reject' });
  });

  it('matches an IPv4 client that a dual-stack socket reports as IPv4-mapped IPv6', async () => {
    const hooks = await hooksFor({ clients: { deny: ['198.51.100.0/24'] } });
    expect(await connect(hooks, '::ffff:198.51.100.20')).toMatchObject({ kind: 'reject', text: 'Client host [198.51.100.20] rejected: access denied' });
  });

  it('matches IPv6 networks', async () => {
    const hooks = await hooksFor({ clients: { allow: ['2001:db8:1::/48'], deny: ['2001:db8::/32'] } });
    expect(await connect(hooks, '2001:db8:1::25')).toMatchObject({ kind: 'accept' });
    expect(await connect(hooks, '2001:db8:2::25')).toMatchObject({ kind: 'reject' });
    expect(await connect(hooks, '2001:db9::1')).toEqual({ kind: 'continue' });
  });

  it('has no opinion on other clients', async () => {
    const hooks = await hooksFor({ clients: { deny: ['203.0.113.0/24'] } });
    expect(await connect(hooks, '192.0.2.1')).toEqual({ kind: 'continue' });
  });
});

describe('access-lists senders (mail stage) and recipients (rcpt stage)', () => {
  it('rejects a denied sender with 550 5.7.1, whatever its case', async () => {
    const hooks = await hooksFor({ senders: { deny: ['spammer@example.org', '*.spam.example'] } });
    expect(await mail(hooks, 'Spammer@EXAMPLE.org')).toEqual({
      kind: 'reject', code: 550, enhancedCode: '5.7.1', text: 'Sender address rejected: access denied',
      reason: 'sender <Spammer@EXAMPLE.org> matches deny entry spammer@example.org',
    });
    expect(await mail(hooks, 'a@mx.spam.example')).toMatchObject({ kind: 'reject' });
    expect(await mail(hooks, 'a@spam.example')).toEqual({ kind: 'continue' });
  });

  it('accepts an allowed sender, skipping the later mail-stage plugins', async () => {
    const hooks = await hooksFor({ senders: { allow: ['partner.example'] } });
    expect(await mail(hooks, 'orders@partner.example')).toEqual({ kind: 'accept', reason: 'sender <orders@partner.example> matches allow entry partner.example' });
  });

  it('can deny the null sender', async () => {
    const hooks = await hooksFor({ senders: { deny: ['<>'] } });
    expect(await mail(hooks, '')).toMatchObject({ kind: 'reject' });
    expect(await mail(hooks, '<>')).toMatchObject({ kind: 'reject' });
    expect(await mail(hooks, 'a@example.org')).toEqual({ kind: 'continue' });
  });

  it('rejects a denied recipient with 550 5.7.1 and accepts an allowed one', async () => {
    const hooks = await hooksFor({ recipients: { allow: ['postmaster@'], deny: ['example.org'] } });
    expect(await rcpt(hooks, 'bob@example.org')).toMatchObject({
      kind: 'reject', code: 550, enhancedCode: '5.7.1', text: 'Recipient address rejected: access denied',
    });
    expect(await rcpt(hooks, 'postmaster@example.org')).toMatchObject({ kind: 'reject' }); // the domain entry is more specific
    expect(await rcpt(hooks, 'postmaster@other.example')).toMatchObject({ kind: 'accept' });
  });
});
