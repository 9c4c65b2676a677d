import { afterAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../testing/test-postgres.js';
import { runMigrations } from './migrations.js';
import { createPool, type Pool } from './pool.js';
import { ThrottleStore, throttleMigrations } from './throttles.js';

const pools: Pool[] = [];
afterAll(async () => { await Promise.all(pools.map((p) => p.end())); });

const store = async () => {
  const pool = createPool(await createTestDatabase(inject('postgresUrl'), 'throttles'));
  pools.push(pool);
  await runMigrations(pool, throttleMigrations);
  return { pool, throttles: new ThrottleStore(pool) };
};

describe('ThrottleStore', () => {
  it('allows exactly the limit per window and says when the window ends', async () => {
    const { throttles } = await store();
    const limit = { key: 'zone:bulk', count: 3, windowSeconds: 3600 };
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await throttles.take([limit]));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false, false]);
    const refused = results[3]!;
    if (refused.allowed) throw new Error('expected a refusal');
    expect(refused.key).toBe('zone:bulk');
    expect(refused.retryAt.getTime() % 3_600_000).toBe(0);
    expect(refused.retryAt.getTime()).toBeGreaterThan(Date.now() - 1000);
  });

  it('holds across concurrent takers (several nodes share one database)', async () => {
    const { pool, throttles } = await store();
    const other = new ThrottleStore(pool);
    const limit = { key: 'zone:z:domain:example.org', count: 25, windowSeconds: 3600 };
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? throttles : other).take([limit])));
    expect(results.filter((r) => r.allowed)).toHaveLength(25);
  });

  it('gives back what the other limits took when one refuses', async () => {
    const { pool, throttles } = await store();
    const zone = { key: 'zone:a', count: 10, windowSeconds: 60 };
    const domain = { key: 'zone:a:domain:x.test', count: 1, windowSeconds: 60 };
    expect((await throttles.take([zone, domain])).allowed).toBe(true);
    expect((await throttles.take([zone, domain])).allowed).toBe(false);
    const { rows } = await pool.query<{ count: number }>(`SELECT count FROM delivery_throttles WHERE key = 'zone:a'`);
    expect(rows.map((r) => r.count)).toEqual([1]);
  });

  it('prunes old windows', async () => {
    const { pool, throttles } = await store();
    await pool.query(`INSERT INTO delivery_throttles VALUES ('k', now() - interval '2 days', 5), ('k', now(), 1)`);
    expect(await throttles.prune(86_400)).toBe(1);
  });
});
