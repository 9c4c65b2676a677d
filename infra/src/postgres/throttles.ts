import type pg from 'pg';
import type { Migration } from './migrations.js';

export const throttleMigrations: readonly Migration[] = [{
  id: 'throttles-001',
  sql: `CREATE TABLE delivery_throttles (
    key text NOT NULL,
    window_start timestamptz NOT NULL,
    count integer NOT NULL,
    PRIMARY KEY (key, window_start)
  );`,
}];

/** A limit of `count` per `windowSeconds` on `key` (e.g. `zone:bulk`, `zone:bulk:domain:gmail.com`). */
export type ThrottleLimit = Readonly<{ key: string; count: number; windowSeconds: number }>;

/** Either every limit had room and one unit of each was taken, or none was taken and `retryAt` says when to try again. */
export type ThrottleResult = { allowed: true } | { allowed: false; key: string; retryAt: Date };

/**
 * Rate limits shared by every node through PostgreSQL: fixed windows aligned on the epoch, counted with one atomic
 * upsert per limit. All limits are taken in one transaction, so a refusal by one gives back what the others took.
 * The database clock decides the window, so nodes with skewed clocks still agree.
 */
export class ThrottleStore {
  constructor(private readonly pool: pg.Pool) {}

  async take(limits: readonly ThrottleLimit[]): Promise<ThrottleResult> {
    if (limits.length === 0) return { allowed: true };
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      for (const limit of limits) {
        const { rows } = await client.query<{ count: number; window_end: Date }>(
          `INSERT INTO delivery_throttles AS t (key, window_start, count)
           VALUES ($1, to_timestamp(floor(extract(epoch FROM now()) / $2) * $2), 1)
           ON CONFLICT (key, window_start) DO UPDATE SET count = t.count + 1 WHERE t.count < $3
           RETURNING count`,
          [limit.key, limit.windowSeconds, limit.count],
        );
        if (rows.length === 0) {
          await client.query('ROLLBACK');
          const end = await client.query<{ window_end: Date }>(
            'SELECT to_timestamp((floor(extract(epoch FROM now()) / $1) + 1) * $1) AS window_end', [limit.windowSeconds]);
          return { allowed: false, key: limit.key, retryAt: end.rows[0]!.window_end };
        }
      }
      await client.query('COMMIT');
      return { allowed: true };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  /** Drops windows that ended more than `olderThanSeconds` ago. */
  async prune(olderThanSeconds: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM delivery_throttles WHERE window_start < now() - make_interval(secs => $1)`, [olderThanSeconds]);
    return rowCount ?? 0;
  }
}
