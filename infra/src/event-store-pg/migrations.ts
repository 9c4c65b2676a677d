import type { Migration } from '../postgres/migrations.js';

/** The channel the statement-level insert trigger notifies; subscriptions LISTEN on it for live wake-up. */
export const EVENTS_CHANNEL = 'elemta_events';

const createEvents = `
CREATE TABLE events (
  position       bigserial PRIMARY KEY,
  -- The inserting transaction: readers order by (xid, position) and read only transactions older than every
  -- transaction still running, so a slow transaction can never commit "behind" a subscriber (see queries.ts).
  xid            xid8 NOT NULL DEFAULT pg_current_xact_id(),
  stream         text NOT NULL,
  version        int NOT NULL CHECK (version >= 1),
  event_id       uuid NOT NULL,
  type           text NOT NULL,
  schema_version int NOT NULL,
  data           jsonb NOT NULL,
  metadata       jsonb NOT NULL,
  recorded_at    timestamptz NOT NULL,
  prev_hash      text NOT NULL,
  hash           text NOT NULL,
  UNIQUE (stream, version)
);
CREATE INDEX events_xid_position_idx ON events (xid, position);
CREATE INDEX events_type_xid_position_idx ON events (type, xid, position);

-- The log is append-only, enforced by the database itself so no code path (or psql session) can rewrite history.
-- Statement-level, so even an UPDATE or DELETE that matches no row is refused.
CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

-- One notification per inserting statement (a group-commit batch is one statement); delivered at commit.
CREATE FUNCTION events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('${EVENTS_CHANNEL}', '');
  RETURN NULL;
END $$;
CREATE TRIGGER events_notify AFTER INSERT ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_notify();
`;

/**
 * NOTIFY inside the inserting transaction made every append commit under PostgreSQL's cluster-wide notification
 * lock, which is held across the commit's WAL flush (async.c, PreCommit_Notify): appends could not group-commit
 * with each other or with any other writer. The store now wakes its own listeners after each commit and
 * announces commits to other processes from a separate, write-free transaction (PostgresEventStore).
 */
const notifyAfterCommit = `
DROP TRIGGER events_notify ON events;
DROP FUNCTION events_notify();
`;

/** Run with `runMigrations(pool, eventStoreMigrations)` from `@elemta/infra/postgres` before constructing the store. */
export const eventStoreMigrations: readonly Migration[] = [
  { id: 'event-store/0001-events', sql: createEvents },
  { id: 'event-store/0002-notify-after-commit', sql: notifyAfterCommit },
];
