/** Bounds applied to every TTL before an entry is stored. */
export type TtlCacheOptions = Readonly<{ maxEntries: number; minTtlSeconds: number; maxTtlSeconds: number }>;

/**
 * A bounded map whose entries expire after their TTL, evicting the least recently used entry when full.
 * TTLs are clamped to [minTtlSeconds, maxTtlSeconds] first; an entry whose clamped TTL is 0 is not stored
 * (RFC 1035 §3.2.1: TTL 0 means "use only for the transaction in progress"). Time is passed in, in milliseconds,
 * so the cache itself holds no clock.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(private readonly options: TtlCacheOptions) {}

  /** The live value under `key`, or `undefined` when absent or expired (an expired entry is dropped). */
  get(key: string, nowMs: number): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= nowMs) return undefined;
    this.entries.set(key, entry); // re-insert: Map order is our recency order
    return entry.value;
  }

  /** Stores `value` for `ttlSeconds` (clamped) from `nowMs`, evicting the least recently used entries beyond `maxEntries`. */
  set(key: string, value: V, ttlSeconds: number, nowMs: number): void {
    const ttl = this.clampTtl(ttlSeconds);
    this.entries.delete(key);
    if (ttl <= 0 || this.options.maxEntries <= 0) return;
    this.entries.set(key, { value, expiresAt: nowMs + ttl * 1000 });
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  /** The TTL, in seconds, an entry would be stored with. */
  clampTtl(ttlSeconds: number): number {
    const finite = Number.isFinite(ttlSeconds) ? Math.max(0, Math.floor(ttlSeconds)) : this.options.maxTtlSeconds;
    return Math.min(this.options.maxTtlSeconds, Math.max(this.options.minTtlSeconds, finite));
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}
