import { createPublicKey, type KeyObject } from 'node:crypto';

/**
 * mailauth 4.13.3 turns a DKIM (or ARC) key record into a key object on every signature it checks: it parses the TXT
 * text, builds a key with `crypto.createPublicKey` and exports it back to PEM, which costs more than the rest of the
 * verification together (about 0.13 ms of 0.4 ms for a 2048-bit RSA key). The result depends only on the record's text,
 * the key type asked for and the minimum key length, so it is kept per text: the lookup itself still goes through the
 * resolver each time, and its TTL cache decides when a changed record is seen. The cached key is kept as a key object,
 * which `crypto.verify` (mailauth's only use of it) takes without parsing PEM again.
 */

/** mailauth's `tools.getPublicKey(type, name, minBitLength, resolver)`: `type` is 'DKIM', 'AS' or 'AMS'. */
export type GetPublicKey = (type: string, name: string, minBitLength: number | undefined, resolver: KeyResolver) => Promise<PublicKeyRecord>;
export type KeyResolver = (name: string, rrtype: 'TXT') => Promise<unknown>;
export type PublicKeyRecord = Readonly<{ publicKey: unknown; rr: string; modulusLength?: number }>;

export type DkimKeyCacheStats = Readonly<{ hits: number; misses: number; entries: number }>;

export type DkimKeyCache = Readonly<{ getPublicKey: GetPublicKey; stats: () => DkimKeyCacheStats }>;

/**
 * Wraps `original`: the record is looked up first through the caller's resolver, then parsed by `original` only when
 * its text (for this type and minimum length) is not among the `maxEntries` most recently used. Failures (no record,
 * a broken or too-short key, a DNS error) are never cached: they come from `original` or the resolver every time.
 */
export const createDkimKeyCache = (original: GetPublicKey, maxEntries = 1000): DkimKeyCache => {
  const entries = new Map<string, PublicKeyRecord>();
  let hits = 0;
  let misses = 0;
  const getPublicKey: GetPublicKey = async (type, name, minBitLength, resolver) => {
    if (typeof resolver !== 'function') return original(type, name, minBitLength, resolver); // mailauth's system-DNS fallback
    const answer = await resolver(name, 'TXT');
    const key = `${type}\n${minBitLength ?? ''}\n${JSON.stringify(answer)}`;
    const cached = entries.get(key);
    if (cached !== undefined) {
      hits += 1;
      entries.delete(key); // most recently used last
      entries.set(key, cached);
      return cached;
    }
    misses += 1;
    const record = await original(type, name, minBitLength, async () => answer);
    const parsed = { ...record, publicKey: asKeyObject(record.publicKey) };
    entries.set(key, parsed);
    if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    return parsed;
  };
  return { getPublicKey, stats: () => ({ hits, misses, entries: entries.size }) };
};

/** A key object that still reads as the PEM mailauth made: its verifiers copy `publicKey.toString()` into results. */
const asKeyObject = (publicKey: unknown): unknown => {
  if (typeof publicKey !== 'string' && !Buffer.isBuffer(publicKey)) return publicKey as KeyObject;
  const pem = publicKey.toString();
  return Object.defineProperty(createPublicKey(pem), 'toString', { value: () => pem });
};
