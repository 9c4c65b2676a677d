import { slidingWindowAdmits } from '@elemta/domain';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../testing/test-postgres.js';
import { runMigrations } from './migrations.js';
import { createPool, type Pool } from './pool.js';
import { RateLimitStore, rateLimitMigrations, type RateLimitOutcome } from './rate-limits.js';

const pools: Pool[] = [];
afterAll(async () => { await Promise.all(pools.map((p) => p.end())); });

/** Two nodes: separate pools on one database. */
const nodes = async () => {
  const url = await createTestDatabase(inject('postgresUrl'), 'rate_limits');
  const a = createPool(url);
  const b = createPool(url);
  pools.push(a, b);
  await runMigrations(a, rateLimitMigrations);
  return { pool: a, one: new RateLimitStore(a), two: new RateLimitStore(b) };
};

const hits = async (store: RateLimitStore, limit: { key: string; count: number; windowSeconds: number }, n: number) => {
  const outcomes: RateLimitOutcome[] = [];
  for (let i = 0; i < n; i++) outcomes.push((await store.hit([limit]))!);
  return outcomes;
};

describe('RateLimitStore', () => {
  it('admits exactly the limit in a window and does not count refused hits', async () => {
    const { pool, one } = await nodes();
    const limit = { key: 'rcpt:sender/86400:alice@example.org', count: 3, windowSeconds: 86_400 };
    const outcomes = await hits(one, limit, 5);
    expect(outcomes.map((o) => o.admitted)).toEqual([true, true, true, false, false]);
    expect(outcomes.map((o) => o.counts.current)).toEqual([0, 1, 2, 3, 3]);
    const { rows } = await pool.query<{ count: number }>('SELECT count FROM rate_limit_windows WHERE key = $1', [limit.key]);
    expect(rows).toEqual([{ count: 3 }]);
  });

  it('weighs the previous window exactly as the domain estimate does', async () => {
    const { pool, one } = await nodes();
    const limit = { key: 'connect:client-ip/604800:192.0.2.1', count: 100, windowSeconds: 604_800 };
    await pool.query(
      `INSERT INTO rate_limit_windows VALUES ($1, to_timestamp(floor(extract(epoch FROM now()) / $2) * $2 - $2), $2, 90)`,
      [limit.key, limit.windowSeconds]);
    const outcomes = await hits(one, limit, 100);
    for (const outcome of outcomes) {
      expect(outcome.counts.previous).toBe(90);
      expect(outcome.admitted).toBe(slidingWindowAdmits(limit, outcome.counts));
    }
    const admitted = outcomes.filter((o) => o.admitted).length;
    const overlap = 90 * (1 - outcomes[0]!.counts.elapsedSeconds / limit.windowSeconds);
    expect(admitted).toBe(Math.ceil(100 - overlap));
    expect(admitted).toBeLessThan(100);
  });

  it('refuses a first hit when the previous window alone fills the sliding window', async () => {
    const { pool, one } = await nodes();
    const limit = { key: 'k-full', count: 10, windowSeconds: 604_800 };
    await pool.query(
      `INSERT INTO rate_limit_windows VALUES ($1, to_timestamp(floor(extract(epoch FROM now()) / $2) * $2 - $2), $2, 1000)`,
      [limit.key, limit.windowSeconds]);
    const [outcome] = await hits(one, limit, 1);
    expect(outcome).toMatchObject({ admitted: false, counts: { previous: 1000, current: 0 } });
  });

  it('holds across nodes hitting one key at once', async () => {
    const { one, two } = await nodes();
    const limit = { key: 'mail:client-ip/3600:198.51.100.7', count: 25, windowSeconds: 3600 };
    const outcomes = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? one : two).hit([limit])));
    expect(outcomes.filter((o) => o!.admitted)).toHaveLength(25);
  });

  it('gives back what the other limits counted when one refuses', async () => {
    const { pool, one } = await nodes();
    const minute = { key: 'k-minute', count: 10, windowSeconds: 60 };
    const day = { key: 'k-day', count: 1, windowSeconds: 86_400 };
    expect((await one.hit([minute, day]))!.admitted).toBe(true);
    const refused = await one.hit([minute, day]);
    expect(refused).toMatchObject({ admitted: false, key: 'k-day' });
    const { rows } = await pool.query<{ count: number }>(`SELECT count FROM rate_limit_windows WHERE key = 'k-minute'`);
    expect(rows.map((r) => r.count)).toEqual([1]);
  });

  it('has no opinion without limits', async () => {
    const { one } = await nodes();
    expect(await one.hit([])).toBeNull();
  });

  it('prunes windows no estimate reads any more', async () => {
    const { pool, one } = await nodes();
    await pool.query(`INSERT INTO rate_limit_windows VALUES
      ('old', now() - interval '3 hours', 3600, 5), ('previous', now() - interval '90 minutes', 3600, 5), ('current', now(), 3600, 1)`);
    expect(await one.prune()).toBe(1);
    const { rows } = await pool.query<{ key: string }>('SELECT key FROM rate_limit_windows ORDER BY key');
    expect(rows.map((r) => r.key)).toEqual(['current', 'previous']);
  });
});
