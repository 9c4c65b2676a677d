import { checkResult } from '@elemta/domain';
import { createMailResolver, type MailResolver } from '@elemta/infra/dns';
import {
  dkimSignTestMessage, generateDkimKey, mailAuthZones, mergeTestZones, spfRecord, startTestDnsServer, type DkimTestKey, type TestDnsServer,
} from '@elemta/infra/testing';
import { defaultVerificationThreads } from '@elemta/infra/mailauth';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HookResult, Hooks, PluginServices, SessionView, TransactionView } from '../plugin-api.js';
import { hookContext, messageView } from '../testing/hook-context.js';
import { AUTHENTICATION_ANNOTATION, emailAuthPlugin } from './email-auth.plugin.js';

const HOSTNAME = 'mx.elemta.test';
let dns: TestDnsServer;
let resolver: MailResolver;
let key: DkimTestKey;

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
// With the resolver's settings, as `elemta serve` gives them: verification runs on the plugin's worker thread.
const services = (): PluginServices => ({
  dns: { lookup: (name, type) => resolver.lookup(name, type), ...(resolver.settings ? { settings: resolver.settings } : {}) },
  db: null as never, // the plugin keeps no state
  log: silent, hostname: HOSTNAME, node: 'node-1', dataDir: '/nonexistent', now: () => new Date(),
});

const opened: Hooks[] = [];
const hooksFor = async (config: unknown): Promise<Hooks> => {
  const hooks = await emailAuthPlugin.setup(emailAuthPlugin.parseConfig!(config), services());
  opened.push(hooks);
  return hooks;
};
afterEach(async () => {
  await Promise.all(opened.splice(0).map((hooks) => hooks.close?.()));
});

const message = (from: string) => [
  // Elemta's own Received field comes first in what the data stage sees.
  `Received: from mail.sender.test ([127.0.0.1]) by ${HOSTNAME} with ESMTP; Fri, 20 Nov 2026 10:00:01 +0000`,
  `From: <${from}>`, 'To: bob@rcpt.test', 'Subject: Hello', 'Date: Fri, 20 Nov 2026 10:00:00 +0000', 'Message-ID: <m1@sender.test>',
  '', 'Hello Bob.', '',
].join('\r\n');

/** Received fields are not signed: sign the message as the sender sent it, then put ours on top. */
const signed = async (from: string, domain: string) => {
  const [received, ...rest] = message(from).split('\r\n');
  const body = await dkimSignTestMessage(rest.join('\r\n'), { domain, selector: 'sel', key });
  return Buffer.concat([Buffer.from(`${received}\r\n`), body]);
};

type RunOptions = Readonly<{ session?: Partial<SessionView>; mailFrom?: string }>;
const run = async (hooks: Hooks, raw: string | Uint8Array, options: RunOptions = {}): Promise<HookResult | undefined> => {
  const transaction: TransactionView = { mailFrom: options.mailFrom ?? 'alice@sender.test', params: {}, rcptTo: ['bob@rcpt.test'] };
  const session = { client: { address: '127.0.0.1', port: 40000, reverseDns: null, helo: 'mail.sender.test' }, ...options.session };
  return hooks.data!(hookContext('data', { message: messageView(raw) }, { session, transaction }));
};

const header = (result: HookResult | undefined, name: string) =>
  result?.kind === 'tag' ? result.headers.find((h) => h.name === name)?.value : undefined;

beforeAll(async () => {
  key = await generateDkimKey();
  dns = await startTestDnsServer(mergeTestZones(
    mailAuthZones({ domain: 'sender.test', spf: spfRecord(), dmarc: { p: 'reject' }, dkim: [{ selector: 'sel', key }] }),
    mailAuthZones({ domain: 'quarantine.test', dmarc: { p: 'quarantine' } }),
    mailAuthZones({ domain: 'monitor.test', dmarc: { p: 'none' } }),
    mailAuthZones({ domain: 'esp.test', spf: spfRecord() }),
  ));
  resolver = createMailResolver({ servers: [dns.address], timeoutMs: 500, tries: 1 });
});
afterAll(async () => {
  await resolver?.close();
  await dns?.close();
});

describe('email-auth plugin', () => {
  it('tags an authenticated message with Authentication-Results, Received-SPF and the authentication annotation', async () => {
    const result = await run(await hooksFor(undefined), await signed('alice@sender.test', 'sender.test'));

    expect(result).toMatchObject({ kind: 'tag', reason: 'spf=pass dkim=pass dmarc=pass arc=none' });
    expect(checkResult(result)).toBe(result); // folded header values are valid tag headers
    const ar = header(result, 'Authentication-Results');
    expect(ar).toMatch(new RegExp(`^${HOSTNAME.replace(/\./g, '\\.')};`));
    expect(ar).toMatch(/spf=pass/);
    expect(ar).toMatch(/dkim=pass/);
    expect(ar).toMatch(/dmarc=pass/);
    expect(header(result, 'Received-SPF')).toMatch(/^pass /);
    const annotations = result?.kind === 'tag' ? result.annotations ?? {} : {};
    expect(JSON.parse(annotations[AUTHENTICATION_ANNOTATION] ?? 'null')).toEqual({
      spf: { result: 'pass', detail: expect.any(String) },
      dkim: { result: 'pass', detail: 'd=sender.test s=sel pass' },
      dmarc: { result: 'pass', detail: expect.stringContaining('header.from=sender.test') },
      arc: { result: 'none', detail: null },
    });
  });

  describe('dmarc: record (default)', () => {
    it('only records a DMARC failure under p=reject', async () => {
      const result = await run(await hooksFor({ dmarc: 'record' }), message('alice@sender.test'), { mailFrom: 'bounces@esp.test' });

      expect(result).toMatchObject({ kind: 'tag', reason: 'spf=pass dkim=none dmarc=fail arc=none' });
      expect(header(result, 'Authentication-Results')).toMatch(/dmarc=fail/);
      expect(header(result, 'X-Elemta-DMARC')).toBeUndefined();
    });
  });

  describe('dmarc: tag', () => {
    it('adds X-Elemta-DMARC when DMARC fails under p=reject or p=quarantine', async () => {
      const hooks = await hooksFor({ dmarc: 'tag' });
      const rejectDomain = await run(hooks, message('alice@sender.test'), { mailFrom: 'bounces@esp.test' });
      const quarantineDomain = await run(hooks, message('carol@quarantine.test'), { mailFrom: 'bounces@esp.test' });

      expect(checkResult(rejectDomain)).toBe(rejectDomain);
      expect(header(rejectDomain, 'X-Elemta-DMARC')).toBe('fail policy=reject domain=sender.test');
      expect(header(quarantineDomain, 'X-Elemta-DMARC')).toBe('fail policy=quarantine domain=quarantine.test');
    });

    it('adds nothing for a failure under p=none or a pass', async () => {
      const hooks = await hooksFor({ dmarc: 'tag' });
      expect(header(await run(hooks, message('dave@monitor.test'), { mailFrom: 'bounces@esp.test' }), 'X-Elemta-DMARC')).toBeUndefined();
      expect(header(await run(hooks, await signed('alice@sender.test', 'sender.test')), 'X-Elemta-DMARC')).toBeUndefined();
    });
  });

  describe('dmarc: enforce', () => {
    it('rejects a DMARC failure under p=reject with 550 5.7.1', async () => {
      const result = await run(await hooksFor({ dmarc: 'enforce' }), message('alice@sender.test'), { mailFrom: 'bounces@esp.test' });

      expect(result).toEqual({
        kind: 'reject', code: 550, enhancedCode: '5.7.1', text: 'Message rejected by DMARC policy of sender.test',
        reason: 'dmarc=fail (p=reject) header.from=sender.test',
      });
    });

    it('quarantines a DMARC failure under p=quarantine', async () => {
      const result = await run(await hooksFor({ dmarc: 'enforce' }), message('carol@quarantine.test'), { mailFrom: 'bounces@esp.test' });

      expect(result).toMatchObject({ kind: 'quarantine', reason: 'dmarc=fail (p=quarantine) header.from=quarantine.test' });
      // the quarantined message is stored with what was found
      expect((result as unknown as { headers: { name: string; value: string }[] }).headers[0]).toMatchObject({ name: 'Authentication-Results' });
      expect(JSON.parse((result as unknown as { annotations: Record<string, string> }).annotations[AUTHENTICATION_ANNOTATION]!)).toMatchObject({ dmarc: { result: 'fail' } });
    });

    it('only records a failure under p=none, and passes authenticated mail', async () => {
      const hooks = await hooksFor({ dmarc: 'enforce' });
      expect(await run(hooks, message('dave@monitor.test'), { mailFrom: 'bounces@esp.test' }))
        .toMatchObject({ kind: 'tag', reason: 'spf=pass dkim=none dmarc=fail arc=none' });
      expect(await run(hooks, await signed('alice@sender.test', 'sender.test'), { mailFrom: 'bounces@esp.test' }))
        .toMatchObject({ kind: 'tag', reason: 'spf=pass dkim=pass dmarc=pass arc=none' });
    });
  });

  describe('trusted sessions', () => {
    const forged = () => message('alice@sender.test');

    it('skips authenticated users and trusted networks without a lookup', async () => {
      const hooks = await hooksFor({ dmarc: 'enforce' });
      dns.clearQueries();

      expect(await run(hooks, forged(), { session: { authUser: 'alice' }, mailFrom: 'bounces@esp.test' })).toEqual({ kind: 'continue' });
      expect(await run(hooks, forged(), { session: { trustedNetwork: true }, mailFrom: 'bounces@esp.test' })).toEqual({ kind: 'continue' });
      expect(dns.queries).toEqual([]);
    });

    it('checks them too with verifyTrusted', async () => {
      const hooks = await hooksFor({ dmarc: 'enforce', verifyTrusted: true });
      expect(await run(hooks, forged(), { session: { authUser: 'alice' }, mailFrom: 'bounces@esp.test' })).toMatchObject({ kind: 'reject' });
    });
  });

  it('reports spf=temperror, not a failure, when the resolver cannot reach DNS', async () => {
    const unreachable = createMailResolver({ servers: ['127.0.0.1:9'], timeoutMs: 200, tries: 1 });
    try {
      // a resolver without settings: verified on this thread, through its lookups
      const hooks = await emailAuthPlugin.setup(emailAuthPlugin.parseConfig!({ dmarc: 'enforce' }), {
        ...services(), dns: { lookup: (name, type) => unreachable.lookup(name, type) },
      });
      opened.push(hooks);
      const result = await run(hooks, message('alice@sender.test'));
      expect(result).toMatchObject({ kind: 'tag', reason: 'spf=temperror dkim=none dmarc=temperror arc=none' });
    } finally {
      await unreachable.close();
    }
  });

  it('refuses a config with unknown keys or values, naming them', () => {
    expect(() => emailAuthPlugin.parseConfig!({ dmarc: 'strict' })).toThrow(/dmarc/);
    expect(() => emailAuthPlugin.parseConfig!({ bimi: true })).toThrow(/bimi/);
    expect(() => emailAuthPlugin.parseConfig!({ threads: -1 })).toThrow(/threads/);
    expect(() => emailAuthPlugin.parseConfig!({ threads: 1.5 })).toThrow(/threads/);
    expect(emailAuthPlugin.parseConfig!({ threads: 0 })).toMatchObject({ threads: 0 });
    expect(emailAuthPlugin.parseConfig!(undefined)).toEqual({ dmarc: 'record', verifyTrusted: false, threads: defaultVerificationThreads() });
  });
});
