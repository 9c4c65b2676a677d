import type { RateLimit, WindowCounts } from '@elemta/domain';
import type pg from 'pg';
import type { Migration } from './migrations.js';

export const rateLimitMigrations: readonly Migration[] = [{
  id: 'rate-limits-001',
  sql: `CREATE TABLE rate_limit_windows (
    key text NOT NULL,
    window_start timestamptz NOT NULL,
    window_seconds integer NOT NULL,
    count integer NOT NULL,
    PRIMARY KEY (key, window_start)
  );`,
}];

/** A sliding-window limit on one key (e.g. `mail:sender/3600:alice@example.org`). */
export type RateLimitKey = RateLimit & Readonly<{ key: string }>;

/**
 * The outcome of one hit: whether it was admitted (and counted), and the window counts it was judged on, so that
 * callers can work out when to come back (`slidingWindowRetryAfterSeconds`). `current` excludes the hit itself.
 */
export type RateLimitOutcome = Readonly<{ admitted: boolean; key: string; limit: RateLimit; counts: WindowCounts }>;

/*
 * One statement per hit: read the database clock and the previous window's count, then count the hit in the current
 * window only while `current < limit − previous × (1 − elapsed / window)`, i.e. while the two-bucket estimate of
 * `slidingWindowAdmits` (@elemta/domain) is below the limit. The check sits in the upsert's WHERE, where PostgreSQL
 * evaluates it on the locked, latest row, so concurrent hits from any number of nodes never admit more than the
 * limit. Refused hits are not counted: a client that keeps retrying is not locked out for longer than its own
 * admitted traffic warrants.
 */
const HIT = `
WITH clock AS (
  SELECT extract(epoch FROM now())::float8 AS t
), win AS (
  SELECT floor(t / $2::integer) * $2::integer AS start, t - floor(t / $2::integer) * $2::integer AS elapsed FROM clock
), prev AS (
  SELECT coalesce((SELECT r.count FROM rate_limit_windows r, win
                   WHERE r.key = $1 AND r.window_start = to_timestamp(win.start - $2::integer)), 0) AS count
), bound AS (
  SELECT win.start, win.elapsed, prev.count AS previous,
         $3::integer - prev.count * (1 - win.elapsed / $2::integer) AS cap
  FROM win, prev
), hit AS (
  INSERT INTO rate_limit_windows AS r (key, window_start, window_seconds, count)
  SELECT $1, to_timestamp(bound.start), $2::integer, 1 FROM bound WHERE 0 < bound.cap
  ON CONFLICT (key, window_start) DO UPDATE SET count = r.count + 1 WHERE r.count < (SELECT cap FROM bound)
  RETURNING r.count
)
SELECT bound.previous, bound.elapsed,
       (SELECT count FROM hit) AS admitted_count,
       coalesce((SELECT r.count FROM rate_limit_windows r WHERE r.key = $1 AND r.window_start = to_timestamp(bound.start)), 0) AS current
FROM bound`;

type HitRow = { previous: number; elapsed: number; admitted_count: number | null; current: number };

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

const hitOne = async (db: Queryable, limit: RateLimitKey): Promise<RateLimitOutcome> => {
  const { rows } = await db.query<HitRow>(HIT, [limit.key, limit.windowSeconds, limit.count]);
  const row = rows[0]!;
  const admitted = row.admitted_count !== null;
  return {
    admitted, key: limit.key, limit: { count: limit.count, windowSeconds: limit.windowSeconds },
    counts: { previous: row.previous, current: admitted ? row.admitted_count! - 1 : row.current, elapsedSeconds: row.elapsed },
  };
};

/**
 * Sliding-window rate limits shared by every node through PostgreSQL (the two-bucket estimate of
 * `slidingWindowEstimate`), on the database clock so that nodes with skewed clocks agree.
 */
export class RateLimitStore {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Counts one hit against every limit, or against none: when one limit refuses, what the others counted is given
   * back (one transaction). Returns the refusing limit's outcome, else the last admitted one; null for no limits.
   */
  async hit(limits: readonly RateLimitKey[]): Promise<RateLimitOutcome | null> {
    if (limits.length === 0) return null;
    if (limits.length === 1) return hitOne(this.pool, limits[0]!);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      let last: RateLimitOutcome | null = null;
      for (const limit of limits) {
        last = await hitOne(client, limit);
        if (!last.admitted) {
          await client.query('ROLLBACK');
          return last;
        }
      }
      await client.query('COMMIT');
      return last;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  /** Drops windows that no estimate reads any more: those that ended more than one window length ago. */
  async prune(): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM rate_limit_windows WHERE window_start < now() - make_interval(secs => 2 * window_seconds)`);
    return rowCount ?? 0;
  }
}
