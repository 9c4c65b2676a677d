import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openTrackingDb, type TrackingDb } from '../testing/tracking-db.js';
import { messageWhere } from './message-filter.js';
import { createMessageReadModel } from './message-read-model.js';

let db: TrackingDb;

/**
 * 100k rows written straight into the view (a measurement, not a fold test), shaped like bench/graphql's load: five
 * senders, each sending 20,000 messages in its own stretch of time, 95 % delivered. The oldest sender's messages sit
 * behind 80,000 newer ones, which a walk down the received-time index would have to skip.
 */
beforeAll(async () => {
  db = await openTrackingDb(inject('postgresUrl'));
  await db.pool.query(`
    INSERT INTO messages (id, status, mail_from, recipients, recipient_addresses, subject, size_bytes, body_sha256, received_at,
                          updated_at, listener)
    SELECT md5(m::text)::uuid, CASE WHEN m % 20 = 0 THEN 'deferred' ELSE 'delivered' END,
           'Sender' || (1 + (m - 1) / 20000) || '@example.test', '[]'::jsonb, ARRAY['rcpt@dest.test'], 'bench', 1024, repeat('a', 64),
           timestamptz '2026-03-01T00:00:00Z' + (m || ' milliseconds')::interval, now(), 'mx'
      FROM generate_series(1, 100000) AS m`);
  await db.pool.query('VACUUM ANALYZE messages');
});
afterAll(async () => { await db?.close(); });

const explain = async (sql: string, params: readonly unknown[]): Promise<{ plan: string; ms: number }> => {
  const { rows } = await db.pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, [...params]);
  const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
  return { plan, ms: Number(/Execution Time: ([\d.]+)/.exec(plan)?.[1]) };
};

const filter = { sender: 'sender1@EXAMPLE.test', status: ['delivered' as const] };

describe('messages by sender on 100k rows', () => {
  it("pages a sender's messages as a range of messages_sender_idx, without a sort or a scan of newer messages", async () => {
    const where = messageWhere(filter);
    const page = await explain(`SELECT id FROM messages WHERE ${where.conditions.join(' AND ')}
      ORDER BY received_at DESC, id DESC LIMIT 51`, where.params);
    console.log(`first page of the oldest sender: ${page.ms} ms\n${page.plan}`);
    expect(page.plan).toMatch(/Index (Only )?Scan using messages_sender_idx/);
    expect(page.plan).not.toMatch(/Seq Scan|Sort/);
  });

  it("counts a sender's messages with an index-only scan", async () => {
    const where = messageWhere(filter);
    const count = await explain(`SELECT count(*) FROM messages WHERE ${where.conditions.join(' AND ')}`, where.params);
    console.log(`count of the oldest sender's delivered messages: ${count.ms} ms\n${count.plan}`);
    expect(count.plan).toContain('Index Only Scan using messages_sender_idx');
  });

  it('reads pages of the filter through the read model, the deepest as fast as the first', async () => {
    const reads = createMessageReadModel(db.pool);
    const times: number[] = [];
    let after: string | null = null;
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const page = await reads.listMessages(filter, { first: 50, after });
      times.push(performance.now() - started);
      expect(page.totalCount).toBe(19000);
      expect(page.edges).toHaveLength(50);
      after = page.pageInfo.endCursor;
    }
    console.log(`20 pages of 50 of the oldest sender: ${times.map((t) => t.toFixed(1)).join(' ')} ms`);
  });
});
