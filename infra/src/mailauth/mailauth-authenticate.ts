import { mailauth } from './mailauth-library.js';
import type { LookupResult, LookupType } from '../dns/index.js';

/**
 * The parts of mailauth 4.13.3's `authenticate()` result we read, typed from its sources (lib/mailauth.js,
 * lib/spf, lib/dkim/dkim-verifier.js, lib/dmarc/verify.js, lib/arc): its bundled typings miss or loosen several
 * of them (`dmarc.policy` is absent without a record, DKIM rows lack `signingDomain` when unsigned, the resolver
 * type excludes MX objects).
 */
export type MailauthStatus = Readonly<{ result: string; comment?: string }>;

export type MailauthAuthentication = Readonly<{
  spf: Readonly<{ domain: string; status: MailauthStatus; header: string; info: string }> | false;
  dkim: Readonly<{
    headerFrom: readonly string[];
    results: readonly Readonly<{ signingDomain?: string; selector?: string; status: MailauthStatus & Readonly<{ aligned?: string | false }> }>[];
  }>;
  /** `false` when the message has no single From address (DMARC not evaluated). */
  dmarc: Readonly<{ domain: string; status: MailauthStatus; policy?: string; p?: string; sp?: string; pct?: number }> | false;
  arc: Readonly<{ status: MailauthStatus; i?: number | false }> | false;
  /** Received-SPF and Authentication-Results fields, CRLF-terminated and folded. */
  headers: string;
}>;

export type MailauthLookup = <T extends LookupType>(name: string, type: T) => Promise<LookupResult<T>>;

export type MailauthInput = Readonly<{ ip: string; helo: string | undefined; sender: string; mta: string; lookup: MailauthLookup }>;

const LOOKUP_TYPES: ReadonlySet<string> = new Set<LookupType>(['A', 'AAAA', 'MX', 'TXT', 'PTR', 'CNAME', 'NS']);

const dnsError = (message: string, code: string, hostname: string): Error =>
  Object.assign(new Error(message), { code, hostname });

/**
 * Adapts our resolver to mailauth's `(name, rrtype)` callback. Passing it always is what keeps mailauth off the
 * system resolver: every check falls back to `dns.promises.resolve` only when no resolver is given.
 * A name DNS cannot carry (RFC 1035 §2.3.4, e.g. a selector with a 64-octet label) has no records: ENOTFOUND.
 */
export const mailauthResolver = (lookup: MailauthLookup) => async (name: string, type: string): Promise<unknown> => {
  if (!LOOKUP_TYPES.has(type)) throw dnsError(`query${type} ENOTIMP ${name}`, 'ENOTIMP', name);
  const host = name.endsWith('.') ? name.slice(0, -1) : name;
  if (host === '' || host.length > 253 || host.split('.').some((label) => label === '' || Buffer.byteLength(label) > 63)) {
    throw dnsError(`query${type} ENOTFOUND ${name}`, 'ENOTFOUND', name);
  }
  return lookup(host, type as LookupType);
};

/** Runs SPF, DKIM, ARC and DMARC (never BIMI, never ARC sealing) through `lookup`. Errors of mailauth itself propagate. */
export const runMailauth = async (message: Buffer, input: MailauthInput): Promise<MailauthAuthentication> => {
  const result = await mailauth.authenticate(message, {
    ip: input.ip,
    ...(input.helo === undefined ? {} : { helo: input.helo }),
    sender: input.sender,
    mta: input.mta,
    disableBimi: true,
    resolver: mailauthResolver(input.lookup) as never, // mailauth's typings omit MX's object answers
  });
  return result as unknown as MailauthAuthentication;
};
