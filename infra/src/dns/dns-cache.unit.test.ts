import { describe, expect, it } from 'vitest';
import { TtlCache } from './dns-cache.js';

const cache = (overrides: Partial<ConstructorParameters<typeof TtlCache>[0]> = {}) =>
  new TtlCache<string>({ maxEntries: 100, minTtlSeconds: 0, maxTtlSeconds: 86_400, ...overrides });

describe('TtlCache', () => {
  it('serves an entry until its TTL has passed', () => {
    const c = cache();
    c.set('k', 'v', 10, 1_000);
    expect(c.get('k', 10_999)).toBe('v');
    expect(c.get('k', 11_000)).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('does not store an entry with TTL 0', () => {
    const c = cache();
    c.set('k', 'v', 0, 0);
    expect(c.get('k', 0)).toBeUndefined();
  });

  it('clamps TTLs to the configured bounds', () => {
    const c = cache({ minTtlSeconds: 5, maxTtlSeconds: 60 });
    expect([c.clampTtl(0), c.clampTtl(30), c.clampTtl(3600), c.clampTtl(Number.POSITIVE_INFINITY), c.clampTtl(-4)]).toEqual([5, 30, 60, 60, 5]);
    c.set('k', 'v', 0, 0);
    expect(c.get('k', 4_999)).toBe('v');
  });

  it('evicts the least recently used entry when full', () => {
    const c = cache({ maxEntries: 2 });
    c.set('a', '1', 60, 0);
    c.set('b', '2', 60, 0);
    c.get('a', 1);
    c.set('c', '3', 60, 2);
    expect([c.get('a', 3), c.get('b', 3), c.get('c', 3)]).toEqual(['1', undefined, '3']);
  });

  it('replaces an entry set again', () => {
    const c = cache();
    c.set('k', 'old', 60, 0);
    c.set('k', 'new', 1, 0);
    expect(c.get('k', 500)).toBe('new');
    expect(c.get('k', 1_000)).toBeUndefined();
  });
});
