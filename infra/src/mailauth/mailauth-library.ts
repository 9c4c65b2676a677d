import type { KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import { createCheckMemo, type CheckMemoStats, type MemoizableCheck } from './check-memo.js';
import { createDkimKeyCache, type DkimKeyCacheStats, type GetPublicKey } from './dkim-key-cache.js';
import { headerEndScan } from './header-end-scan.js';

/**
 * mailauth, loaded with five of its steps made cheaper for a stream of messages, without changing their results:
 * - DKIM/ARC key parsing is cached per key record text (dkim-key-cache.ts);
 * - a signing key is parsed once per key, not once per signature;
 * - SPF and DMARC results are reused while every DNS answer they read is unchanged (check-memo.ts);
 * - the end of the header section is found without an allocation per byte (header-end-scan.ts).
 * mailauth's modules take these functions from `lib/tools`, `lib/spf` and `lib/dmarc` when they are first loaded, so
 * the replacements are put in place before `mailauth` itself is required; every module of ours reaches mailauth
 * through this one. The version is pinned (4.13.3); `verify-caches.int.test.ts` checks that the replacements are the
 * ones in use and that a changed record is seen. Results handed out again are shared objects: callers only read them.
 */
const require = createRequire(import.meta.url);

const tools = require('mailauth/lib/tools') as {
  getPublicKey: GetPublicKey; getPrivateKey: (key: string | Buffer) => KeyObject; parseHeaders: (buf: Buffer) => unknown;
};
const keyCache = createDkimKeyCache(tools.getPublicKey);
tools.getPublicKey = keyCache.getPublicKey;

// Signing keys come from the configuration (a handful, as PEM text): key objects are immutable and can be shared.
const privateKeys = new Map<string, KeyObject>();
const signingKeyStats = { hits: 0, misses: 0 };
const parsePrivateKey = tools.getPrivateKey;
tools.getPrivateKey = (key) => {
  if (typeof key !== 'string') return parsePrivateKey(key);
  let parsed = privateKeys.get(key);
  if (parsed !== undefined) signingKeyStats.hits += 1;
  else {
    signingKeyStats.misses += 1;
    parsed = parsePrivateKey(key);
    if (privateKeys.size >= 100) privateKeys.clear();
    privateKeys.set(key, parsed);
  }
  return parsed;
};

const { MessageParser } = require('mailauth/lib/dkim/message-parser') as { MessageParser: { prototype: { processChunk: unknown } } };
MessageParser.prototype.processChunk = headerEndScan(tools.parseHeaders);

type SpfOptions = { ip?: string; helo?: string; sender?: string; mta?: string; maxResolveCount?: number; maxVoidCount?: number; resolver?: unknown };
const spfModule = require('mailauth/lib/spf') as { spf: MemoizableCheck<SpfOptions, unknown> };
const spfMemo = createCheckMemo(spfModule.spf, {
  keyOf: (o) => JSON.stringify([o.ip, o.helo, o.sender, o.mta, o.maxResolveCount, o.maxVoidCount]),
  // RFC 7208 §7.3: the %{t} macro expands to the current time (looked for in each record's joined strings, as
  // mailauth reads them: a long record may split the macro between two strings)
  reusable: (reads) => !reads.some((r) => r.rrtype === 'TXT' && Array.isArray(r.value)
    && r.value.some((row: unknown) => /%\{t/i.test(Array.isArray(row) ? row.join('') : String(row)))),
});
spfModule.spf = spfMemo.check;

type DmarcOptions = { headerFrom?: unknown; spfDomains?: unknown; dkimDomains?: unknown; arcResult?: unknown; resolver?: unknown };
const dmarcModule = require('mailauth/lib/dmarc') as { dmarc: MemoizableCheck<DmarcOptions, unknown> };
const dmarcMemo = createCheckMemo(dmarcModule.dmarc, {
  // what lib/dmarc/verify.js reads: the From address, each aligned candidate's domain and underSized flag (in order;
  // not the per-message signature id), and the ARC result's name
  keyOf: ({ headerFrom, spfDomains, dkimDomains, arcResult }) => {
    const candidates = (list: unknown) => (Array.isArray(list) ? list : [])
      .map((e: unknown) => (typeof e === 'string' ? [e] : [(e as { domain?: unknown }).domain, (e as { underSized?: unknown }).underSized]));
    return JSON.stringify([headerFrom, candidates(spfDomains), candidates(dkimDomains), (arcResult as { status?: { result?: unknown } } | undefined)?.status?.result]);
  },
});
dmarcModule.dmarc = dmarcMemo.check;

export const mailauth = require('mailauth') as typeof import('mailauth');

/** False when mailauth was loaded before this module (its verifiers then hold the original functions). */
export const mailauthCachesActive: boolean =
  (mailauth as unknown as { spf: unknown; dmarc: unknown }).spf === spfMemo.check && (mailauth as unknown as { dmarc: unknown }).dmarc === dmarcMemo.check;

export type MailauthCacheStats = Readonly<{
  keys: DkimKeyCacheStats; signingKeys: Readonly<{ hits: number; misses: number }>; spf: CheckMemoStats; dmarc: CheckMemoStats;
}>;

/** Hits and misses of this thread's key cache and SPF/DMARC memos. */
export const mailauthCacheStats = (): MailauthCacheStats => ({
  keys: keyCache.stats(), signingKeys: { ...signingKeyStats }, spf: spfMemo.stats(), dmarc: dmarcMemo.stats(),
});
