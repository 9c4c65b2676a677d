import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CLAIM_SQL, claimDueMessages } from './queue-claims.js';
import { createQueueReadModel } from './queue-read-model.js';
import { openQueueDb, type QueueDb } from './testing/queue-db.js';

let db: QueueDb;
beforeAll(async () => { db = await openQueueDb(inject('postgresUrl')); });
afterAll(async () => { await db?.close(); });

/**
 * 100k rows written straight into the view (a measurement, not a fold test): 50k messages of two recipients,
 * `duePercent` of them due now, 5% held, the rest deferred into the future; mostly normal priority, three zones.
 */
const fill = async (duePercent: number): Promise<void> => {
  await db.pool.query('TRUNCATE queue, queue_leases');
  await db.pool.query(`
    INSERT INTO queue (message_id, recipient, domain, route, zone, priority, status, mail_from, accepted_at, next_attempt_at,
                       attempts, last_attempt_at, last_reply, updated_position)
    SELECT md5(m::text)::uuid, 'r' || r || '@d' || (m % 500) || '.test', 'd' || (m % 500) || '.test', 'relay',
           (ARRAY['default', 'bulk', 'transactional'])[1 + m % 3],
           CASE WHEN m % 100 = 0 THEN 3 WHEN m % 25 = 0 THEN 2 WHEN m % 10 = 0 THEN 0 ELSE 1 END,
           CASE WHEN m % 20 = 7 THEN 'held' WHEN m % 100 < $1 THEN 'queued' ELSE 'deferred' END,
           's' || (m % 1000) || '@sender.test', now() - (m || ' seconds')::interval,
           CASE WHEN m % 100 < $1 THEN now() - (m || ' seconds')::interval ELSE now() + (m || ' seconds')::interval END,
           0, NULL, NULL, m::text
      FROM generate_series(1, 50000) AS m, generate_series(1, 2) AS r`, [duePercent]);
  await db.pool.query('ANALYZE queue');
};

const explain = async (sql: string, params: unknown[]): Promise<{ plan: string; ms: number }> => {
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
    await client.query('ROLLBACK'); // the claim's leases are not kept
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    return { plan, ms: Number(/Execution Time: ([\d.]+)/.exec(plan)?.[1]) };
  } finally {
    client.release();
  }
};

const timed = async <T>(fn: () => Promise<T>): Promise<number> => {
  const start = performance.now();
  await fn();
  return performance.now() - start;
};

describe('queue queries on 100k rows', () => {
  for (const due of [15, 95]) {
    it(`claims through the due index, ${due}% due`, async () => {
      await fill(due);
      const claim = await explain(CLAIM_SQL, ['w1', 60_000, 50, null, 200]);
      const zoned = await explain(CLAIM_SQL, ['w1', 60_000, 50, ['bulk'], 200]);
      console.log(`claim 50 of 100k rows (${due}% due): ${claim.ms} ms; zone-filtered: ${zoned.ms} ms\n${claim.plan}`);
      expect(claim.plan).toContain('queue_due_idx');
      expect(claim.plan).not.toMatch(/Seq Scan on queue q/);

      const reads = createQueueReadModel(db.pool);
      const claimMs = await timed(() => claimDueMessages(db.pool, { owner: 'w1', leaseMs: 60_000, limit: 50 }));
      const summaryMs = await timed(() => reads.summary());
      const firstPageMs = await timed(() => reads.list({ first: 50 }));
      const senderPageMs = await timed(() => reads.list({ filter: { sender: 's7@sender.test' }, first: 50 }));
      console.log(JSON.stringify({ due, claimMs, summaryMs, firstPageMs, senderPageMs }));
    });
  }
});
