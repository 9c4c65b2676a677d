import { checkpointMigrations } from './checkpoints.js';
import { messageEventsProjection } from './message-events/message-events.projection.js';
import { messagesProjection } from './messages/messages.projection.js';
import type { Migration, Projection } from './projection.js';

/** The tracking views: `messages` (one row per message) and `message_events` (its timeline). */
export const trackingProjections: readonly Projection[] = [messagesProjection, messageEventsProjection];

/** Checkpoints plus the tables of the tracking views; run after the event store's migrations. */
export const trackingMigrations: readonly Migration[] = [
  ...checkpointMigrations,
  ...trackingProjections.flatMap((p) => p.migrations),
];
