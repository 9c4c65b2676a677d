import { checkpointMigrations } from './checkpoints.js';
import { combineProjections } from './combine.js';
import { messageEventsProjection } from './message-events/message-events.projection.js';
import { messagesProjection } from './messages/messages.projection.js';
import type { Migration, Projection } from './projection.js';
import { queueClaimMigrations } from './queue/queue-claims.js';
import { queueProjection } from './queue/queue.projection.js';
import { statsProjection } from './stats/stats.projection.js';

/**
 * Every view a node serves — `messages`, `message_events` (tracking), `queue` and `stats` — kept under one checkpoint: the
 * log is read and decoded once per batch for all of them, and one transaction moves them together, so the queue
 * never shows a message the tracking views do not know yet.
 */
// v2: the messages fold records submitted_by; existing views are rebuilt by the v3 migration below.
// v3: adds `stats`, which reads listeners and zones from `messages`, so it comes after it (rebuilt: `rebuildForStats`).
export const viewsProjection: Projection = combineProjections('views', 3, [messagesProjection, messageEventsProjection, queueProjection, statsProjection]);
export const viewProjections: readonly Projection[] = [viewsProjection];

/**
 * Databases from before the views were combined kept `tracking` and `queue` under checkpoints of their own: empty
 * the tables once so that `views` rebuilds them from event zero (each event then counts exactly once).
 */
const combineCheckpoints: Migration = {
  id: 'projections/views-0001-one-checkpoint',
  sql: `TRUNCATE ${viewsProjection.tables.join(', ')};
        DELETE FROM projection_checkpoints WHERE name IN ('tracking', 'queue');`,
};

/**
 * `stats` counts every event since the first, including session events no other view keeps, so on a database whose
 * views were built before it the views are emptied once and rebuilt from event zero under the one checkpoint.
 */
const rebuildForStats: Migration = {
  id: 'projections/views-0003-stats-rebuild',
  sql: `TRUNCATE ${viewsProjection.tables.join(', ')};
        DELETE FROM projection_checkpoints WHERE name = 'views';`,
};

/** Checkpoints, the view tables, the queue's leases; run after the event store's migrations. */
export const viewMigrations: readonly Migration[] = [
  ...checkpointMigrations, ...viewsProjection.migrations, combineCheckpoints, ...queueClaimMigrations, rebuildForStats,
];
