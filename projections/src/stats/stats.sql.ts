import type pg from 'pg';
import type { Migration } from '../projection.js';
import type { StatsCell, StatsMessage, StatsState } from './stats.fold.js';

/**
 * `stats_counters`: counts per bucket (minute, hour and day, UTC), per attribution (listener or zone) and key. The
 * primary key serves every read: one resolution and dimension, a range of bucket starts. `stats_sessions`: the
 * listener of each open SMTP session, so that a `MessageRejected` (which names only its session) is counted under its
 * listener; a session's row goes when it ends.
 */
export const statsMigrations: readonly Migration[] = [{
  id: 'projections/stats-0001-stats',
  sql: `
  CREATE TABLE stats_counters (
    resolution text NOT NULL CHECK (resolution IN ('minute', 'hour', 'day')),
    dimension text NOT NULL CHECK (dimension IN ('listener', 'zone')),
    bucket_start timestamptz NOT NULL,
    key text NOT NULL,
    received integer NOT NULL,
    delivered integer NOT NULL,
    deferred integer NOT NULL,
    bounced integer NOT NULL,
    rejected integer NOT NULL,
    expired integer NOT NULL,
    PRIMARY KEY (resolution, dimension, bucket_start, key)
  );
  CREATE TABLE stats_sessions (
    session_id text PRIMARY KEY,
    listener text NOT NULL
  );`,
}];

export const statsTables = ['stats_counters', 'stats_sessions'] as const;

type LoadedMessage = { id: string; listener: string; recipients: { address: string; zone: string | null }[] };

/**
 * The state a batch starts from, in at most two queries: the sessions of its rejections, and its messages as the
 * `messages` view has them (listener, recipients with their zones). In the combined `views` projection that view
 * is written first in the same transaction, so it already holds this batch's messages too.
 */
export const loadStatsState = async (
  tx: pg.PoolClient, keys: Readonly<{ messageIds: readonly string[]; sessionIds: readonly string[] }>,
): Promise<StatsState> => {
  const messages = new Map<string, StatsMessage>();
  const sessions = new Map<string, string | null>();
  if (keys.messageIds.length > 0) {
    const { rows } = await tx.query<LoadedMessage>({
      name: 'elemta_stats_messages',
      text: `SELECT id::text AS id, listener, recipients FROM messages WHERE id = ANY($1::uuid[])`,
      values: [keys.messageIds],
    });
    for (const r of rows) {
      messages.set(r.id, { listener: r.listener, recipients: r.recipients.map((x) => ({ address: x.address, zone: x.zone ?? null })) });
    }
  }
  if (keys.sessionIds.length > 0) {
    const { rows } = await tx.query<{ id: string; listener: string }>(
      'SELECT session_id AS id, listener FROM stats_sessions WHERE session_id = ANY($1::text[])', [keys.sessionIds]);
    for (const r of rows) sessions.set(r.id, r.listener);
  }
  return { messages, sessions, cells: new Map() };
};

// Increments, not values: each event is folded exactly once (the runner's transaction), so adding is replay-safe.
const ADD_COUNTS = `
  INSERT INTO stats_counters AS s (resolution, dimension, bucket_start, key, received, delivered, deferred, bounced, rejected, expired)
  SELECT c.resolution, c.dimension, c."bucketStart", c.key, c.received, c.delivered, c.deferred, c.bounced, c.rejected, c.expired
    FROM jsonb_to_recordset($1::jsonb) AS c(resolution text, dimension text, "bucketStart" timestamptz, key text,
      received integer, delivered integer, deferred integer, bounced integer, rejected integer, expired integer)
  ON CONFLICT (resolution, dimension, bucket_start, key) DO UPDATE SET
    received = s.received + EXCLUDED.received, delivered = s.delivered + EXCLUDED.delivered,
    deferred = s.deferred + EXCLUDED.deferred, bounced = s.bounced + EXCLUDED.bounced,
    rejected = s.rejected + EXCLUDED.rejected, expired = s.expired + EXCLUDED.expired`;

const toRow = (c: StatsCell) => ({ resolution: c.resolution, dimension: c.dimension, bucketStart: c.bucketStart, key: c.key, ...c.counts });

/** Writes a folded batch: one upsert adding its increments, one upsert and one delete for the sessions it changed. */
export const saveStatsChanges = async (tx: pg.PoolClient, loaded: StatsState, folded: StatsState): Promise<void> => {
  if (folded.cells.size > 0) {
    const rows = [...folded.cells.values()].map(toRow);
    await tx.query({ name: 'elemta_stats_add', text: ADD_COUNTS, values: [JSON.stringify(rows)] });
  }
  const changed = [...folded.sessions].filter(([id, listener]) => loaded.sessions.get(id) !== listener);
  const opened = changed.filter((e): e is [string, string] => e[1] !== null);
  const ended = changed.filter(([, listener]) => listener === null).map(([id]) => id);
  if (opened.length > 0) {
    await tx.query(
      `INSERT INTO stats_sessions (session_id, listener) SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT (session_id) DO UPDATE SET listener = EXCLUDED.listener`,
      [opened.map(([id]) => id), opened.map(([, l]) => l)]);
  }
  if (ended.length > 0) await tx.query('DELETE FROM stats_sessions WHERE session_id = ANY($1::text[])', [ended]);
};
