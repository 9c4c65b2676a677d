import type { DnsQuerier } from './dns-client.js';
import { TtlCache } from './dns-cache.js';
import { canonicalName, type RRType } from './dns-wire.js';
import { interpretResponse, type RRsetAnswer } from './rrset-answer.js';

export type CachingLookupOptions = Readonly<{
  maxEntries: number; minTtlSeconds: number; maxTtlSeconds: number; negativeTtlSeconds: number; now: () => number;
}>;

const MAX_FOLLOWS = 8;

/**
 * Looks up one RRset at a time through a `DnsQuerier`, caching answers for their TTL and negative answers
 * (NXDOMAIN, NODATA) per RFC 2308. Guarantees:
 * - a cached answer is served without a query until its (clamped) TTL has passed on the injected clock;
 * - concurrent lookups of the same name and type share one query;
 * - failures (`DnsTemporaryError`: SERVFAIL, timeouts, …) are never cached: the next lookup asks again.
 */
export class CachingLookup {
  private readonly cache: TtlCache<RRsetAnswer>;
  private readonly inFlight = new Map<string, Promise<RRsetAnswer>>();

  constructor(private readonly querier: DnsQuerier, private readonly options: CachingLookupOptions) {
    this.cache = new TtlCache(options);
  }

  lookup<T extends RRType>(name: string, type: T): Promise<RRsetAnswer<T>> {
    const key = `${type} ${canonicalName(name)}`;
    const cached = this.cache.get(key, this.options.now());
    if (cached) return Promise.resolve(cached as RRsetAnswer<T>);
    const pending = this.inFlight.get(key);
    if (pending) return pending as Promise<RRsetAnswer<T>>;
    const started = this.resolve(canonicalName(name), type)
      .then(({ answer, ttlSeconds }) => {
        this.cache.set(key, answer, ttlSeconds, this.options.now());
        return answer;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }

  clear(): void {
    this.cache.clear();
  }

  private async resolve<T extends RRType>(name: string, type: T): Promise<{ answer: RRsetAnswer<T>; ttlSeconds: number }> {
    let owner = name;
    let ttl = Number.POSITIVE_INFINITY;
    for (let follows = 0; follows <= MAX_FOLLOWS; follows++) {
      const result = interpretResponse(await this.querier.query(owner, type), owner, type, this.options.negativeTtlSeconds);
      ttl = Math.min(ttl, result.ttlSeconds);
      if (result.kind === 'answer') return { answer: result.answer, ttlSeconds: ttl };
      owner = result.target;
    }
    // A chain longer than any sane zone: answer "no records" briefly rather than loop.
    return { answer: { kind: 'nodata', canonicalName: owner }, ttlSeconds: Math.min(ttl, this.options.negativeTtlSeconds) };
  }
}
