import type pg from 'pg';
import { clampPageSize } from '../read/message-read-model.js';
import type { QueueRow } from './queue.fold.js';
import {
  decodeQueueCursor, encodeQueueCursor, QUEUE_FROM, queueWhere, REPORTED_STATUS, type QueueFilter, type QueueStatus,
} from './queue-filter.js';
import { QUEUE_ROW_COLUMNS, toQueueRow, type QueueDbRow } from './queue-row.sql.js';

/** A pending recipient as listed: its stored row, with the status it reports (`delivering` while leased). */
/** A queue row as listed, with its status as reported (leased rows show `delivering`) and its own page cursor. */
export type QueueEntry = Readonly<Omit<QueueRow, 'status'> & { status: QueueStatus; cursor: string }>;

export type QueuePage = Readonly<{ rows: readonly QueueEntry[]; totalCount: number; hasNextPage: boolean; endCursor: string | null }>;

export type QueueListArgs = Readonly<{ filter?: QueueFilter; first: number; after?: string | null }>;

export type QueueSummary = Readonly<{
  total: number;
  byStatus: readonly { status: QueueStatus; count: number }[];
  /** With when the zone's oldest pending message was accepted (ISO-8601), for its age. */
  byZone: readonly { zone: string; count: number; oldestAcceptedAt: string }[];
  /** For the queue-size gauge, labelled by status and zone. */
  byStatusAndZone: readonly { status: QueueStatus; zone: string; count: number }[];
  /** The 20 domains with the most pending recipients. */
  byDomain: readonly { domain: string; count: number }[];
  /** When the oldest pending message was accepted (ISO-8601), for the "oldest queued message age" gauge. */
  oldestAcceptedAt: string | null;
  /** The earliest next attempt among rows that are not held (may lie in the future). */
  oldestDueAt: string | null;
}>;

/** What GraphQL and metrics read about the queue; the only way they reach the `queue` view. */
export interface QueueReadModel {
  list(args: QueueListArgs): Promise<QueuePage>;
  summary(): Promise<QueueSummary>;
  messageIdsMatching(filter: Pick<QueueFilter, 'sender' | 'domain' | 'zone' | 'status'>, limit: number): Promise<string[]>;
}

type ListedRow = QueueDbRow & { reported_status: QueueStatus; cursor_accepted_at: string };

const LIST_COLUMNS = `${QUEUE_ROW_COLUMNS}, ${REPORTED_STATUS} AS reported_status,
  to_char(q.accepted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_accepted_at`;

const where = (conditions: readonly string[]): string => (conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '');

const list = async (pool: pg.Pool, args: QueueListArgs): Promise<QueuePage> => {
  const first = clampPageSize(args.first);
  const filter = queueWhere(args.filter ?? {});
  const conditions = [...filter.conditions];
  const params = [...filter.params];
  if (args.after) {
    const c = decodeQueueCursor(args.after);
    params.push(c.acceptedAt, c.messageId, c.recipient);
    const n = params.length;
    conditions.push(`(q.accepted_at, q.message_id, q.recipient) > ($${n - 2}::timestamptz, $${n - 1}::uuid, $${n}::text)`);
  }
  params.push(first + 1);
  // As for messages: the count rides in the page's statement, so a page and its totalCount share one snapshot.
  const page = await pool.query<ListedRow & { total: number }>(`SELECT ${LIST_COLUMNS},
      (SELECT count(*)::float8 FROM ${QUEUE_FROM} ${where(filter.conditions)}) AS total
      FROM ${QUEUE_FROM} ${where(conditions)} ORDER BY q.accepted_at, q.message_id, q.recipient LIMIT $${params.length}`, params);
  const totalCount = page.rows[0]?.total ?? (args.after
    ? Number((await pool.query<{ n: number }>(`SELECT count(*)::float8 AS n FROM ${QUEUE_FROM} ${where(filter.conditions)}`, [...filter.params])).rows[0]?.n ?? 0)
    : 0);
  const listed = page.rows.slice(0, first).map((r) => ({
    ...toQueueRow(r), status: r.reported_status,
    cursor: encodeQueueCursor({ acceptedAt: r.cursor_accepted_at, messageId: r.message_id, recipient: r.recipient }),
  }));
  return {
    rows: listed,
    totalCount,
    hasNextPage: page.rows.length > first,
    endCursor: listed.at(-1)?.cursor ?? null,
  };
};

// One scan for every count: GROUPING() tells the sets apart (bit set = column not grouped), so
// 1 = by status and zone, 3 = by status, 5 = by zone, 6 = by domain (top 20 kept), 7 = the total.
const COUNTS_SQL = `
  WITH g AS (
    SELECT GROUPING(s.status, q.zone, q.domain) AS set, s.status, q.zone, q.domain, count(*)::float8 AS n, min(q.accepted_at) AS oldest
      FROM ${QUEUE_FROM} CROSS JOIN LATERAL (SELECT ${REPORTED_STATUS} AS status) s
     GROUP BY GROUPING SETS ((s.status, q.zone), (s.status), (q.zone), (q.domain), ())
  )
  SELECT set, status, zone, domain, n, oldest FROM (
    SELECT g.*, row_number() OVER (PARTITION BY set ORDER BY n DESC, status, zone, domain) AS rank FROM g) ranked
   WHERE set <> 6 OR rank <= 20
   ORDER BY set, n DESC, status, zone, domain`;

const OLDEST_SQL = `
  SELECT (SELECT min(accepted_at) FROM queue) AS accepted, (SELECT min(next_attempt_at) FROM queue WHERE status <> 'held') AS due`;

type CountRow = { set: number; status: QueueStatus; zone: string; domain: string; n: number; oldest: Date };

const summary = async (pool: pg.Pool): Promise<QueueSummary> => {
  const [counts, oldest] = await Promise.all([
    pool.query<CountRow>(COUNTS_SQL),
    pool.query<{ accepted: Date | null; due: Date | null }>(OLDEST_SQL),
  ]);
  const of = (set: number) => counts.rows.filter((r) => r.set === set);
  return {
    total: Number(of(7)[0]?.n ?? 0),
    byStatus: of(3).map((r) => ({ status: r.status, count: Number(r.n) })),
    byStatusAndZone: of(1).map((r) => ({ status: r.status, zone: r.zone, count: Number(r.n) })),
    byZone: of(5).map((r) => ({ zone: r.zone, count: Number(r.n), oldestAcceptedAt: r.oldest.toISOString() })),
    byDomain: of(6).map((r) => ({ domain: r.domain, count: Number(r.n) })),
    oldestAcceptedAt: oldest.rows[0]?.accepted?.toISOString() ?? null,
    oldestDueAt: oldest.rows[0]?.due?.toISOString() ?? null,
  };
};

const messageIdsMatching = async (pool: pg.Pool, filter: QueueFilter, limit: number): Promise<string[]> => {
  const w = queueWhere({
    ...(filter.sender !== undefined ? { sender: filter.sender } : {}),
    ...(filter.domain !== undefined ? { domain: filter.domain } : {}),
    ...(filter.zone !== undefined ? { zone: filter.zone } : {}),
    ...(filter.status !== undefined ? { status: filter.status } : {}),
  });
  const { rows } = await pool.query<{ id: string }>(
    `SELECT DISTINCT q.message_id::text AS id FROM ${QUEUE_FROM} ${where(w.conditions)} ORDER BY 1 LIMIT $${w.params.length + 1}`,
    [...w.params, Math.max(1, Math.trunc(limit))]);
  return rows.map((r) => r.id);
};

/**
 * The queue read model over the `queue` view and the live leases. `list` is oldest first by (accepted_at, message id,
 * recipient), keys that never change, so a cursor neither repeats nor skips rows while others come and go; `first` is
 * clamped to 1..200 and `totalCount` counts the whole filter. A row reports `delivering` while its message has an
 * unexpired, unreleased lease (unless held). `summary` is two queries (one scan for the counts), cheap enough for a
 * metrics scrape. `messageIdsMatching` returns distinct ids, ascending, for bulk hold/release/cancel/retry.
 * An unparseable cursor throws `DomainError('INVALID_CURSOR')`. Reads may lag the log by a batch.
 */
export const createQueueReadModel = (pool: pg.Pool): QueueReadModel => ({
  list: (args) => list(pool, args),
  summary: () => summary(pool),
  messageIdsMatching: (filter, limit) => messageIdsMatching(pool, filter, limit),
});
