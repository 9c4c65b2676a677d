import { isUuid } from '@elemta/domain';
import type pg from 'pg';
import type { Migration } from '../projection.js';

/**
 * `queue_leases`: which worker delivers which message until when. Not a projection table: a replay leaves it alone,
 * and it holds only recent leases (`deleteExpiredLeases`). Run after the queue view's migrations.
 */
export const queueClaimMigrations: readonly Migration[] = [{
  id: 'projections/queue-0002-queue-leases',
  sql: `
  CREATE TABLE queue_leases (
    message_id uuid PRIMARY KEY,
    owner text NOT NULL,
    expires_at timestamptz NOT NULL,
    released boolean NOT NULL DEFAULT false
  );
  CREATE INDEX queue_leases_expires_idx ON queue_leases (expires_at);`,
}];

/** A message a worker now holds the lease of, with its due recipients (in the claimed zones), by recipient. */
export type ClaimOptions = Readonly<{
  /** Who holds the lease, e.g. `<node>/<worker>`; renewals and releases must name the same owner. */
  owner: string;
  leaseMs: number;
  /** Most messages to claim. */
  limit: number;
  /** Only rows in these sending zones (all zones when absent). */
  zones?: readonly string[];
}>;

/** How many candidate rows to lock per message wanted: a message with several due recipients uses several. */
const ROWS_PER_MESSAGE = 4;

// One statement, so one round trip and one transaction. Candidate rows are locked with SKIP LOCKED so concurrent
// claimers spread over different rows; the lease upsert is the arbiter: a message whose lease another claimer took
// (even one committed after this statement's snapshot) returns no row from `leased`. Leases are inserted in
// message_id order so that two claimers waiting on each other's uncommitted leases cannot deadlock.
export const CLAIM_SQL = `
  WITH candidates AS (
    SELECT q.message_id, q.priority, q.next_attempt_at
      FROM queue q
     WHERE q.status <> 'held' AND q.next_attempt_at <= now()
       AND ($4::text[] IS NULL OR q.zone = ANY($4::text[]))
       AND NOT EXISTS (SELECT 1 FROM queue_leases l WHERE l.message_id = q.message_id AND l.expires_at > now())
     ORDER BY q.priority DESC, q.next_attempt_at
     LIMIT $5
       FOR UPDATE OF q SKIP LOCKED
  ), picked AS (
    SELECT message_id, max(priority) AS priority, min(next_attempt_at) AS due
      FROM candidates GROUP BY message_id
     ORDER BY max(priority) DESC, min(next_attempt_at), message_id
     LIMIT $3
  ), leased AS (
    INSERT INTO queue_leases AS l (message_id, owner, expires_at, released)
    SELECT message_id, $1, now() + $2 * interval '1 millisecond', false FROM picked ORDER BY message_id
    ON CONFLICT (message_id) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at, released = false
     WHERE l.expires_at <= now()
    RETURNING l.message_id
  )
  SELECT leased.message_id::text AS id
    FROM leased JOIN picked p USING (message_id)
   ORDER BY p.priority DESC, p.due, p.message_id`;

const ms = (value: number): number => Math.max(0, Math.round(value));
const uuids = (ids: readonly string[]): string[] => ids.map((id) => id.toLowerCase()).filter(isUuid);

/**
 * Claims up to `limit` message ids with at least one due row (`queued` or `deferred`, `next_attempt_at <= now()`),
 * highest priority first, then oldest due, and leases each for `leaseMs`. Guarantees: two concurrent claimers (on any
 * node) never both get one message; a message with an unexpired lease (held or released during its hold-off) is
 * skipped; times come from the database clock. Only ids come back: the worker reads what is due from the message's
 * stream, which is the truth (the view may lag it). It may return fewer than `limit` messages while others are due
 * (rows locked by a concurrent claimer are skipped); call again.
 */
export const claimDueMessages = async (pool: pg.Pool, options: ClaimOptions): Promise<string[]> => {
  const limit = Math.max(1, Math.trunc(options.limit));
  const zones = options.zones ? [...options.zones] : null;
  const { rows } = await pool.query<{ id: string }>({
    name: 'elemta_claim_due', text: CLAIM_SQL, values: [options.owner, ms(options.leaseMs), limit, zones, limit * ROWS_PER_MESSAGE],
  });
  return rows.map((r) => r.id);
};

/** Extends the owner's unexpired, unreleased leases to `leaseMs` from now; returns the ids it still holds. */
export const renewLeases = async (pool: pg.Pool, owner: string, messageIds: readonly string[], leaseMs: number): Promise<string[]> => {
  const { rows } = await pool.query<{ id: string }>(
    `UPDATE queue_leases SET expires_at = now() + $3 * interval '1 millisecond'
      WHERE owner = $1 AND message_id = ANY($2::uuid[]) AND NOT released AND expires_at > now()
     RETURNING message_id::text AS id`, [owner, uuids(messageIds), ms(leaseMs)]);
  return rows.map((r) => r.id);
};

/**
 * Gives up the owner's leases once their outcomes are appended. The lease stays, released, for `holdOffMs`: the
 * projection may not have folded the outcome yet, and until it does the rows still look due.
 */
export const releaseClaims = async (pool: pg.Pool, owner: string, messageIds: readonly string[], holdOffMs: number): Promise<string[]> => {
  const { rows } = await pool.query<{ id: string }>(
    `UPDATE queue_leases SET released = true, expires_at = now() + $3 * interval '1 millisecond'
      WHERE owner = $1 AND message_id = ANY($2::uuid[]) AND NOT released
     RETURNING message_id::text AS id`, [owner, uuids(messageIds), ms(holdOffMs)]);
  return rows.map((r) => r.id);
};

/** Drops this owner's claims of settled messages (their queue rows are gone or going); returns the ids dropped. */
export const dropClaims = async (pool: pg.Pool, owner: string, messageIds: readonly string[]): Promise<string[]> => {
  const { rows } = await pool.query<{ id: string }>(
    `DELETE FROM queue_leases WHERE owner = $1 AND message_id = ANY($2::uuid[]) RETURNING message_id::text AS id`,
    [owner, uuids(messageIds)]);
  return rows.map((r) => r.id);
};

/** Deletes leases that expired more than `olderThanMs` ago (run periodically); returns how many. */
export const deleteExpiredLeases = async (pool: pg.Pool, olderThanMs: number): Promise<number> => {
  const result = await pool.query(
    `DELETE FROM queue_leases WHERE expires_at < now() - $1 * interval '1 millisecond'`, [ms(olderThanMs)]);
  return result.rowCount ?? 0;
};

/** A DSN announced by `BounceQueued` that has not been accepted as a message yet. */
export type PendingDsn = Readonly<{ dsnMessageId: string; messageId: string; recipients: readonly string[]; queuedAt: string }>;

/**
 * DSNs queued (event time) more than `olderThanMs` before the database's now() and still not accepted, oldest first:
 * the bouncer creates them again (idempotently, the DSN id being fixed) after a crash between the two appends.
 */
export const pendingDsns = async (pool: pg.Pool, options: Readonly<{ olderThanMs: number; limit: number }>): Promise<PendingDsn[]> => {
  const { rows } = await pool.query<{ dsn_message_id: string; message_id: string; recipients: string[]; queued_at: Date }>(
    `SELECT dsn_message_id::text, message_id::text, recipients, queued_at FROM queue_dsn_pending
      WHERE queued_at <= now() - $1 * interval '1 millisecond' ORDER BY queued_at, dsn_message_id LIMIT $2`,
    [ms(options.olderThanMs), Math.max(1, Math.trunc(options.limit))]);
  return rows.map((r) => ({
    dsnMessageId: r.dsn_message_id, messageId: r.message_id, recipients: r.recipients, queuedAt: r.queued_at.toISOString(),
  }));
};
