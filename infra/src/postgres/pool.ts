import pg from 'pg';

// int8 (bigint) columns come back as strings unless parsed; counts and sizes fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export type PoolOptions = Readonly<{ max?: number; applicationName?: string; statementTimeoutMs?: number }>;

/**
 * A pool whose queries cannot hang for ever: PostgreSQL cancels a statement after `statementTimeoutMs` (30 s), and
 * the client gives up 5 s later even when the server no longer answers at all, so an SMTP session waiting on a
 * commit gets a 451 instead of a hung connection. Long work (migrations) sets its own limit in its session.
 */
export const createPool = (url: string, options: PoolOptions = {}): pg.Pool => {
  const statementTimeout = options.statementTimeoutMs ?? 30_000;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 20,
    application_name: options.applicationName ?? 'elemta',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: statementTimeout,
    query_timeout: statementTimeout + 5_000,
    idle_in_transaction_session_timeout: 60_000,
  });
  pool.on('error', () => {}); // an idle client's error is reported to the query that uses it next
  return pool;
};

/** Runs `fn` in one transaction: COMMIT when it resolves, ROLLBACK when it throws. */
export const withTransaction = async <T>(pool: pg.Pool, fn: (tx: pg.PoolClient) => Promise<T>): Promise<T> => {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
};
