import { getServers } from 'node:dns';
import { CachingLookup } from './caching-lookup.js';
import { DnsClient } from './dns-client.js';
import { parseNameServer } from './dns-transport.js';
import {
  DnsLookupError, DnsTemporaryError, type Destination, type LookupResult, type LookupType, type MailExchanger, type MailResolver,
} from './dns-types.js';
import type { RecordOf } from './dns-wire.js';
import { normalizeDomainName } from './domain-name.js';
import { isNullMx, orderMxTargets } from './mx-order.js';

/** Settings of `createMailResolver`; every field has a production default. */
export type MailResolverOptions = Readonly<{
  /** `"ip"`, `"ip:port"` or `"[ipv6]:port"`; default: the system's resolvers (/etc/resolv.conf). */
  servers?: readonly string[];
  /** Wait per query and server before trying the next, in ms; default 2000. */
  timeoutMs?: number;
  /** Rounds over all servers before giving up; default 2. */
  tries?: number;
  cache?: Readonly<{
    maxEntries?: number; minTtlSeconds?: number; maxTtlSeconds?: number;
    /** TTL of NXDOMAIN/NODATA answers that carry no SOA (RFC 2308); default 300. */
    negativeTtlSeconds?: number;
  }>;
  /** Clock for cache expiry, in ms; default `Date.now`. */
  now?: () => number;
  /** Source of randomness for ordering equal-preference MX hosts; default `Math.random`. */
  random?: () => number;
}>;

/** The serializable part of `MailResolverOptions`: enough to build the same resolver in another thread. */
export type MailResolverSettings = Omit<MailResolverOptions, 'now' | 'random'>;

/**
 * The production `MailResolver` (RFC 5321 §5.1, RFC 7505), with a cache that honours every answer's TTL.
 * - Throws `InvalidDomainError` for a name that cannot be a mail domain, before any query.
 * - Throws `DnsTemporaryError` when an answer the outcome depends on failed (SERVFAIL, REFUSED, timeout, network):
 *   the MX or implicit-MX lookup, or every MX host's address lookups. A failed host is skipped when others resolve.
 * - Addresses per host are IPv4 then IPv6; hosts with no address are dropped.
 * - Concurrent lookups share queries; `close()` aborts pending queries (they reject with rcode `CLOSED`).
 */
export const createMailResolver = (options: MailResolverOptions = {}): MailResolver => {
  const servers = (options.servers ?? systemServers()).map(parseNameServer);
  const client = new DnsClient({ servers, timeoutMs: options.timeoutMs ?? 2000, tries: options.tries ?? 2 });
  const lookup = new CachingLookup(client, {
    maxEntries: options.cache?.maxEntries ?? 10_000,
    minTtlSeconds: options.cache?.minTtlSeconds ?? 0,
    maxTtlSeconds: options.cache?.maxTtlSeconds ?? 86_400,
    negativeTtlSeconds: options.cache?.negativeTtlSeconds ?? 300,
    now: options.now ?? Date.now,
  });
  const random = options.random ?? Math.random;
  const { now: _now, random: _random, ...settings } = options;
  return {
    settings,
    resolveDestination: async (domain) => resolveDestination(lookup, random, normalizeDomainName(domain)),
    lookup: (name, type) => lookupAs(lookup, name, type),
    close: async () => {
      client.close();
      lookup.clear();
    },
  };
};

const systemServers = (): string[] => {
  const configured = getServers();
  return configured.length > 0 ? configured : ['127.0.0.1'];
};

const resolveDestination = async (lookup: CachingLookup, random: () => number, domain: string): Promise<Destination> => {
  const mx = await lookup.lookup(domain, 'MX');
  if (mx.kind === 'nxdomain') return { kind: 'noSuchDomain' };
  if (mx.kind === 'nodata') {
    // RFC 5321 §5.1: no MX, so the domain's own address records act as an implicit MX of preference 0.
    const addresses = await addressesOf(lookup, mx.canonicalName);
    return addresses.length === 0
      ? { kind: 'noMailHost' }
      : { kind: 'exchangers', implicit: true, exchangers: [{ exchange: mx.canonicalName, priority: 0, addresses }] };
  }
  if (isNullMx(mx.records)) return { kind: 'nullMx' };
  const targets = orderMxTargets(mx.records, random);
  const settled = await Promise.allSettled(targets.map((t) => addressesOf(lookup, t.exchange)));
  const exchangers: MailExchanger[] = [];
  const failures: DnsTemporaryError[] = [];
  settled.forEach((result, i) => {
    const target = targets[i];
    if (!target) return;
    if (result.status === 'rejected') return void failures.push(asTemporary(result.reason));
    if (result.value.length > 0) exchangers.push({ ...target, addresses: result.value });
  });
  if (exchangers.length > 0) return { kind: 'exchangers', implicit: false, exchangers };
  // A host whose lookup failed might have had addresses: that is no permanent "no mail host".
  if (failures[0]) throw failures[0];
  return { kind: 'noMailHost' };
};

/** IPv4 then IPv6 addresses of `host`; throws only when neither family yielded an address and one lookup failed. */
const addressesOf = async (lookup: CachingLookup, host: string): Promise<string[]> => {
  const [v4, v6] = await Promise.allSettled([lookup.lookup(host, 'A'), lookup.lookup(host, 'AAAA')]);
  const addresses = [v4, v6].flatMap((r) =>
    r.status === 'fulfilled' && r.value.kind === 'records' ? r.value.records.map((rec) => rec.address) : []);
  if (addresses.length > 0) return addresses;
  for (const r of [v4, v6]) if (r.status === 'rejected') throw asTemporary(r.reason);
  return addresses;
};

const asTemporary = (reason: unknown): DnsTemporaryError => {
  if (reason instanceof DnsTemporaryError) return reason;
  throw reason; // a bug, not a DNS answer: let it surface
};

const TEMPORARY_CODE: Record<string, 'ESERVFAIL' | 'ETIMEOUT' | 'ECONNREFUSED'> = { TIMEOUT: 'ETIMEOUT', REFUSED: 'ECONNREFUSED' };

/** One RRset in node's `dns.promises.resolve` shapes, with node's error codes (see `DnsLookupError`). */
const lookupAs = async <T extends LookupType>(lookup: CachingLookup, name: string, type: T): Promise<LookupResult<T>> => {
  const host = name.endsWith('.') ? name.slice(0, -1) : name;
  let answer;
  try {
    answer = await lookup.lookup(host, type);
  } catch (err) {
    if (!(err instanceof DnsTemporaryError)) throw err;
    throw new DnsLookupError(`query${type} ${err.rcode} ${host}`, TEMPORARY_CODE[err.rcode] ?? 'ESERVFAIL', host);
  }
  if (answer.kind === 'nxdomain') throw new DnsLookupError(`query${type} ENOTFOUND ${host}`, 'ENOTFOUND', host);
  if (answer.kind === 'nodata') throw new DnsLookupError(`query${type} ENODATA ${host}`, 'ENODATA', host);
  const records = answer.records as readonly RecordOf<LookupType>[];
  return records.map((r) => {
    switch (r.type) {
      case 'A': case 'AAAA': return r.address;
      case 'MX': return { exchange: r.exchange, priority: r.priority };
      case 'TXT': return [...r.strings];
      default: return r.target;
    }
  }) as LookupResult<T>;
};
