import type { DnsResponse, RecordOf, RRType } from './dns-wire.js';

/**
 * What a name holds for one type, after following CNAMEs (RFC 1034 §3.6.2):
 * the records, NODATA (the name exists without records of that type) or NXDOMAIN.
 * `canonicalName` is the name at the end of the CNAME chain.
 */
export type RRsetAnswer<T extends RRType = RRType> =
  | Readonly<{ kind: 'records'; canonicalName: string; records: readonly RecordOf<T>[] }>
  | Readonly<{ kind: 'nodata'; canonicalName: string }>
  | Readonly<{ kind: 'nxdomain' }>;

/** An answer with how long it may be cached, or a CNAME chain the server left unfinished and that must be followed. */
export type Interpretation<T extends RRType> =
  | Readonly<{ kind: 'answer'; answer: RRsetAnswer<T>; ttlSeconds: number }>
  | Readonly<{ kind: 'follow'; target: string; ttlSeconds: number }>;

const MAX_CHAIN = 16;

/**
 * Reads a NOERROR/NXDOMAIN response to `name`/`type`. The TTL is the smallest TTL on the path: every CNAME followed
 * plus the records returned. A negative answer is cached per RFC 2308 §5 for min(SOA TTL, SOA MINIMUM) of the SOA in
 * the authority section, or `negativeTtlSeconds` when there is none. A chain that ends at a name with no records and
 * no SOA saying why is returned as `follow`, so the caller asks for the target itself.
 */
export const interpretResponse = <T extends RRType>(
  response: DnsResponse, name: string, type: T, negativeTtlSeconds: number,
): Interpretation<T> => {
  let owner = name;
  let ttl = Number.POSITIVE_INFINITY;
  const seen = new Set<string>([owner]);
  for (let hop = 0; hop <= MAX_CHAIN; hop++) {
    const records = response.answers.filter((r): r is RecordOf<T> => r.name === owner && r.type === type);
    if (records.length > 0) {
      ttl = Math.min(ttl, ...records.map((r) => r.ttl));
      return { kind: 'answer', answer: { kind: 'records', canonicalName: owner, records }, ttlSeconds: ttl };
    }
    const alias = type === 'CNAME' ? undefined : response.answers.find((r) => r.name === owner && r.type === 'CNAME');
    if (!alias || alias.type !== 'CNAME' || seen.has(alias.target)) break;
    ttl = Math.min(ttl, alias.ttl);
    owner = alias.target;
    seen.add(owner);
  }
  const soa = response.authorities.find((r): r is RecordOf<'SOA'> => r.type === 'SOA');
  const negativeTtl = Math.min(ttl, soa ? Math.min(soa.ttl, soa.minimum) : negativeTtlSeconds);
  if (response.rcode === 'NXDOMAIN') return { kind: 'answer', answer: { kind: 'nxdomain' }, ttlSeconds: negativeTtl };
  if (owner !== name && !soa) return { kind: 'follow', target: owner, ttlSeconds: ttl };
  return { kind: 'answer', answer: { kind: 'nodata', canonicalName: owner }, ttlSeconds: negativeTtl };
};

