import type pg from 'pg';

export const authFailureMigrations = [{
  id: 'mta-0003-smtp-auth-failures',
  sql: `CREATE TABLE smtp_auth_failures (
    key text NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE INDEX smtp_auth_failures_key ON smtp_auth_failures (key, failed_at);`,
}];

/** Failures are counted over a sliding window of this length. */
export const AUTH_FAILURE_WINDOW_SECONDS = 15 * 60;

/** Throttle keys: one per client address and one per user name (lower-cased). */
export const ipKey = (address: string): string => `ip:${address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '')}`;
export const userKey = (username: string): string => `user:${username.trim().toLowerCase()}`;

/**
 * Recent AUTH failures in PostgreSQL, so every node sharing the database sees the same counts. The database clock
 * decides the window. Rows older than the window are deleted at most once a minute per process.
 */
export class AuthFailures {
  private lastPrune = 0;

  constructor(private readonly pool: pg.Pool, private readonly windowSeconds = AUTH_FAILURE_WINDOW_SECONDS) {}

  /** The highest count of failures within the window among `keys`. */
  async recent(keys: readonly string[]): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      `SELECT coalesce(max(n), 0) AS n FROM (
         SELECT count(*) AS n FROM smtp_auth_failures
         WHERE key = ANY($1) AND failed_at > now() - make_interval(secs => $2) GROUP BY key) counts`,
      [keys, this.windowSeconds]);
    return Number(rows[0]?.n ?? 0);
  }

  async record(keys: readonly string[]): Promise<void> {
    await this.pool.query('INSERT INTO smtp_auth_failures (key) SELECT unnest($1::text[])', [keys]);
    if (Date.now() - this.lastPrune > 60_000) {
      this.lastPrune = Date.now();
      this.pool.query('DELETE FROM smtp_auth_failures WHERE failed_at < now() - make_interval(secs => $1)', [this.windowSeconds]).catch(() => {});
    }
  }

  /** Forgets the failures of `keys` (a user who got the password right). */
  async clear(keys: readonly string[]): Promise<void> {
    await this.pool.query('DELETE FROM smtp_auth_failures WHERE key = ANY($1)', [keys]);
  }
}
