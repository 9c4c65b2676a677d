/**
 * Memoizes a DNS-driven check (mailauth's SPF and DMARC evaluation): its result is a function of its inputs and of
 * the DNS answers it read, so a result is reused only after every lookup it made has been repeated through the
 * caller's resolver (its TTL cache answers these at once) and gave the same answer or the same "no such record".
 * A changed record, a record that stopped resolving or a check that saw a temporary failure is evaluated afresh.
 */

export type CheckResolver = (name: string, rrtype: string) => Promise<unknown>;

export type MemoizableCheck<O extends { resolver?: unknown }, R> = (options: O) => Promise<R>;

export type CheckMemoStats = Readonly<{ hits: number; misses: number; entries: number }>;

export type CheckMemo<O extends { resolver?: unknown }, R> = Readonly<{ check: MemoizableCheck<O, R>; stats: () => CheckMemoStats }>;

/** One lookup a check made: what it asked and the answer (`undefined` when the lookup failed). */
export type CheckRead = Readonly<{ name: string; rrtype: string; value: unknown }>;

export type CheckMemoOptions<O> = Readonly<{
  /** The inputs that decide the result besides DNS, as a string; null: do not memoize this call. */
  keyOf: (options: O) => string | null;
  /** Whether the answers read allow reuse at all (e.g. not when a record asks for the current time). */
  reusable?: (reads: readonly CheckRead[]) => boolean;
  maxEntries?: number;
}>;

type Read = Readonly<{ name: string; rrtype: string; outcome: string }>;
type Outcome = Readonly<{ outcome: string; value?: unknown; error?: unknown }>;
type Entry<R> = Readonly<{ result: R; reads: readonly Read[] }>;

/** "No such record" outcomes are answers too; anything else (timeouts, SERVFAIL) makes the result not reusable. */
const DEFINITE_ERRORS: ReadonlySet<string> = new Set(['ENOTFOUND', 'ENODATA']);
const TEMPORARY = '\u0000temporary';

const outcomeOf = async (resolver: CheckResolver, name: string, rrtype: string): Promise<Outcome> => {
  try {
    const value = await resolver(name, rrtype);
    return { outcome: JSON.stringify(value), value };
  } catch (error) {
    const code = (error as { code?: unknown } | null | undefined)?.code;
    return { outcome: typeof code === 'string' && DEFINITE_ERRORS.has(code) ? `\u0000${code}` : TEMPORARY, error };
  }
};

/**
 * `check` with reuse. Results are shared between callers: they are treated as read-only (mailauth only reads them).
 * Calls without a resolver are never memoized (they would use the system resolver).
 */
export const createCheckMemo = <O extends { resolver?: unknown }, R>(
  original: MemoizableCheck<O, R>, options: CheckMemoOptions<O>,
): CheckMemo<O, R> => {
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new Map<string, Entry<R>>();
  let hits = 0;
  let misses = 0;

  /**
   * Repeats the entry's lookups in order until one differs. What they returned is kept in `seen`, so a fresh
   * evaluation after a mismatch does not ask again (a failure is never cached by the resolver: a timeout would be
   * waited for twice).
   */
  const stillValid = async (resolver: CheckResolver, reads: readonly Read[], seen: Map<string, Outcome>): Promise<boolean> => {
    for (const read of reads) {
      const now = await outcomeOf(resolver, read.name, read.rrtype);
      seen.set(`${read.rrtype} ${read.name}`, now);
      if (now.outcome !== read.outcome) return false;
    }
    return true;
  };

  const check: MemoizableCheck<O, R> = async (callOptions) => {
    const resolver = callOptions.resolver as CheckResolver | undefined;
    const key = resolver === undefined ? null : options.keyOf(callOptions);
    if (resolver === undefined || key === null) return original(callOptions);
    const seen = new Map<string, Outcome>();
    const entry = entries.get(key);
    if (entry !== undefined) {
      entries.delete(key); // most recently used last
      if (await stillValid(resolver, entry.reads, seen)) {
        hits += 1;
        entries.set(key, entry);
        return entry.result;
      }
    }
    misses += 1;
    const reads: (Read & { value: unknown })[] = [];
    const recording: CheckResolver = async (name, rrtype) => {
      const lookupKey = `${rrtype} ${name}`;
      const { outcome, value, error } = seen.get(lookupKey) ?? await outcomeOf(resolver, name, rrtype);
      seen.delete(lookupKey); // answered once from the check above; asked again, it is a new lookup
      reads.push({ name, rrtype, outcome, value });
      if (error !== undefined) throw error;
      return value;
    };
    const result = await original({ ...callOptions, resolver: recording });
    if (!reads.some((r) => r.outcome === TEMPORARY) && (options.reusable?.(reads) ?? true)) {
      entries.set(key, { result, reads: reads.map(({ name, rrtype, outcome }) => ({ name, rrtype, outcome })) });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    }
    return result;
  };

  return { check, stats: () => ({ hits, misses, entries: entries.size }) };
};
