import type pg from 'pg';

/** One forward-only SQL migration. `id`s sort in the order they must run within their owner. */
export type Migration = Readonly<{ id: string; sql: string }>;

const LOCK_KEY = 0x656c656d; // 'elem': one migrator at a time across nodes

/**
 * Applies the migrations not applied yet, each in its own transaction, under an advisory lock
 * so that several nodes starting at once migrate exactly once. Returns the ids it applied.
 */
export const runMigrations = async (pool: pg.Pool, migrations: readonly Migration[]): Promise<string[]> => {
  const client = await pool.connect();
  try {
    await client.query('SET statement_timeout = 0'); // an index on a large table may take long; the pool's limit is for requests
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ id: string }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id));
    const applied: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.id)) continue;
      try {
        await client.query('BEGIN');
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (id) VALUES ($1)', [migration.id]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw new Error(`migration ${migration.id} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(migration.id);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => {});
    await client.query('RESET statement_timeout').catch(() => {});
    client.release();
  }
};
