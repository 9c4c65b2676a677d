import { afterAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../testing/test-postgres.js';
import { createPool, type Pool } from './pool.js';
import { runMigrations } from './migrations.js';

const pools: Pool[] = [];
afterAll(async () => { await Promise.all(pools.map((p) => p.end())); });

describe('createPool', () => {
  it('cancels a statement that runs past the timeout instead of waiting for ever', async () => {
    const pool = createPool(await createTestDatabase(inject('postgresUrl'), 'pool'), { statementTimeoutMs: 200 });
    pools.push(pool);
    await expect(pool.query('SELECT pg_sleep(2)')).rejects.toThrow(/statement timeout/);
    expect((await pool.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]); // the pool is still usable
  });

  it('lets migrations run longer than the request timeout', async () => {
    const pool = createPool(await createTestDatabase(inject('postgresUrl'), 'pool'), { statementTimeoutMs: 200 });
    pools.push(pool);
    await expect(runMigrations(pool, [{ id: 'slow', sql: 'SELECT pg_sleep(0.5)' }])).resolves.toEqual(['slow']);
    await expect(pool.query('SELECT pg_sleep(1)')).rejects.toThrow(/statement timeout/); // and the limit is back after
  });
});
