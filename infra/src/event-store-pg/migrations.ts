import type { Migration } from '../postgres/migrations.js';

/** The channel commits are announced on (after they commit); subscriptions LISTEN on it for live wake-up. */
export const EVENTS_CHANNEL = 'elemta_events';

const createEvents = `
CREATE TABLE events (
  position       bigserial NOT NULL,
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
  -- Two indexes only, because every index is written on the acceptance path: the global read order, and the
  -- per-stream optimistic concurrency check. Type-filtered reads filter that order (see queries.ts).
  PRIMARY KEY (xid, position),
  UNIQUE (stream, version)
);

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

-- No NOTIFY trigger: a transaction that notifies commits under PostgreSQL's cluster-wide notification lock,
-- held across its WAL flush (async.c, PreCommit_Notify), so appends could not group-commit with each other or
-- with any other writer. The store wakes its own listeners after each commit and tells other processes from a
-- separate transaction that writes nothing (PostgresEventStore).
`;

/** Run with `runMigrations(pool, eventStoreMigrations)` from `@elemta/infra/postgres` before constructing the store. */
export const eventStoreMigrations: readonly Migration[] = [{ id: 'event-store/0001-events', sql: createEvents }];
