import type { MailResolverSettings } from './mail-resolver.js';

/** One mail exchanger of a destination, with the addresses it resolved to (IPv4 first, then IPv6). */
export type MailExchanger = Readonly<{ exchange: string; priority: number; addresses: readonly string[] }>;

/**
 * Where mail for a domain goes (RFC 5321 §5.1, RFC 7505):
 * - `exchangers`: MX hosts in preference order (equal preferences in random order, RFC 5321 §5.1);
 *   `implicit` when the domain has no MX and its own A/AAAA records stand in for one.
 * - `nullMx`: the domain publishes `MX 0 .` and accepts no mail (permanent).
 * - `noSuchDomain`: NXDOMAIN (permanent).
 * - `noMailHost`: the domain exists but has neither MX nor A/AAAA, or every MX host resolves to nothing (permanent).
 * Temporary failures (SERVFAIL, timeouts, refused) are thrown as `DnsTemporaryError`.
 */
export type Destination =
  | Readonly<{ kind: 'exchangers'; implicit: boolean; exchangers: readonly MailExchanger[] }>
  | Readonly<{ kind: 'nullMx' }>
  | Readonly<{ kind: 'noSuchDomain' }>
  | Readonly<{ kind: 'noMailHost' }>;

/** A DNS answer that may change on retry: SERVFAIL, timeout, refused, network error. */
export class DnsTemporaryError extends Error {
  override readonly name = 'DnsTemporaryError';
  constructor(message: string, readonly rcode: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The resolver port the delivery path uses; production and tests run the same implementation. */
export type LookupType = 'A' | 'AAAA' | 'MX' | 'TXT' | 'PTR' | 'CNAME' | 'NS';

/**
 * The answer shapes of node's `dns.promises.resolve(name, type)`, which policy code (mailauth, blocklists) expects:
 * A/AAAA → addresses, MX → `{ exchange, priority }`, TXT → one array of character-strings per record, PTR/CNAME/NS →
 * names.
 */
export type LookupResult<T extends LookupType> =
  T extends 'MX' ? { exchange: string; priority: number }[] : T extends 'TXT' ? string[][] : string[];

/**
 * A failed `lookup`, with node's error codes so code written for `dns.promises` works unchanged: `ENOTFOUND`
 * (NXDOMAIN), `ENODATA` (the name has no records of the type), `ESERVFAIL`/`ETIMEOUT`/`ECONNREFUSED` (temporary).
 */
export class DnsLookupError extends Error {
  override readonly name = 'DnsLookupError';
  constructor(message: string, readonly code: 'ENOTFOUND' | 'ENODATA' | 'ESERVFAIL' | 'ETIMEOUT' | 'ECONNREFUSED', readonly hostname: string) {
    super(message);
  }
}

export interface MailResolver {
  /**
   * How to build the same resolver in another thread (`createMailResolver(settings)`, with its own cache); absent
   * when it cannot be rebuilt that way.
   */
  readonly settings?: MailResolverSettings;
  resolveDestination(domain: string): Promise<Destination>;
  /** One RRset through the same client and TTL cache, in node's `dns.promises.resolve` shapes (see `LookupResult`). */
  lookup<T extends LookupType>(name: string, type: T): Promise<LookupResult<T>>;
  close(): Promise<void>;
}
