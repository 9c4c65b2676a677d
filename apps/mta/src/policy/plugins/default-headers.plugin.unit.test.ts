import { checkResult, type HookResult } from '@elemta/domain';
import { describe, expect, it } from 'vitest';
import type { Hooks, PluginServices, SessionView } from '../plugin-api.js';
import { hookContext, messageView } from '../testing/hook-context.js';
import { defaultHeadersPlugin } from './default-headers.plugin.js';

const services = { hostname: 'mx1.elemta.test' } as PluginServices;
const now = new Date('2026-11-20T10:00:05Z');
const RECEIVED = 'Received: from client.test ([192.0.2.10]) by mx1.elemta.test with ESMTPA; Fri, 20 Nov 2026 10:00:05 +0000';

const hooksFor = async (raw: unknown): Promise<Hooks> => defaultHeadersPlugin.setup(defaultHeadersPlugin.parseConfig!(raw), services);

const data = async (hooks: Hooks, headers: string[], session: Partial<SessionView> | null): Promise<HookResult> =>
  checkResult(await hooks.data!(hookContext('data', { message: messageView([RECEIVED, ...headers, '', 'Hi.', ''].join('\r\n')) }, { session, now })));

const user: Partial<SessionView> = { role: 'submission', authUser: 'alice' };
const foreign: Partial<SessionView> = { role: 'mx', authUser: null, trustedNetwork: false };

describe('default-headers plugin', () => {
  it('adds a Message-ID and the reception Date to a submitted message without them', async () => {
    const result = await data(await hooksFor({}), ['From: alice@example.org', 'Subject: hi'], user);
    expect(result).toEqual({
      kind: 'tag', reason: 'added Message-ID, Date',
      headers: [
        { name: 'Message-ID', value: expect.stringMatching(/^<[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}@mx1\.elemta\.test>$/) },
        { name: 'Date', value: 'Fri, 20 Nov 2026 10:00:05 +0000' },
      ],
    });
  });

  it('gives every message its own Message-ID', async () => {
    const hooks = await hooksFor({});
    const ids = await Promise.all([1, 2, 3].map(async () => {
      const r = await data(hooks, [], user);
      return r.kind === 'tag' ? r.headers[0]!.value : null;
    }));
    expect(new Set(ids).size).toBe(3);
  });

  it('leaves headers the message has alone, in any case', async () => {
    const hooks = await hooksFor({});
    expect(await data(hooks, ['message-id: <x@example.org>', 'DATE: Fri, 20 Nov 2026 09:59:00 +0100'], user)).toEqual({ kind: 'continue' });
    expect(await data(hooks, ['Message-ID: <x@example.org>'], user)).toMatchObject({ headers: [{ name: 'Date' }] });
  });

  it('completes mail from trusted networks, but not foreign mail arriving at the MX', async () => {
    const hooks = await hooksFor({});
    expect(await data(hooks, [], { ...foreign, trustedNetwork: true })).toMatchObject({ kind: 'tag' });
    expect(await data(hooks, [], { ...foreign, authUser: 'bob' })).toMatchObject({ kind: 'tag' });
    expect(await data(hooks, [], foreign)).toEqual({ kind: 'continue' });
    expect(await data(hooks, [], null)).toEqual({ kind: 'continue' });
  });

  it('completes every client\'s mail with onlyTrusted: false', async () =>
    expect(await data(await hooksFor({ onlyTrusted: false }), [], foreign)).toMatchObject({ kind: 'tag' }));

  it('adds only the headers turned on, with the configured Message-ID domain', async () => {
    const result = await data(await hooksFor({ date: false, messageIdDomain: 'mail.example.org' }), [], user);
    expect(result).toEqual({ kind: 'tag', reason: 'added Message-ID', headers: [{ name: 'Message-ID', value: expect.stringMatching(/@mail\.example\.org>$/) }] });
    expect(await data(await hooksFor({ messageId: false, date: false }), [], user)).toEqual({ kind: 'continue' });
  });

  it('refuses bad config', () => {
    expect(() => defaultHeadersPlugin.parseConfig!({ messageId: 'yes' })).toThrow(/must be true or false/);
    expect(() => defaultHeadersPlugin.parseConfig!({ messageIdDomain: 'not a domain' })).toThrow(/must be a domain name/);
    expect(() => defaultHeadersPlugin.parseConfig!({ received: true })).toThrow(/received/);
  });
});
