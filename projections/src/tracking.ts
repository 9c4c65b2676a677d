import { checkpointMigrations } from './checkpoints.js';
import { combineProjections } from './combine.js';
import { messageEventsProjection } from './message-events/message-events.projection.js';
import { messagesProjection } from './messages/messages.projection.js';
import type { Migration, Projection } from './projection.js';

/**
 * The tracking views, `messages` (one row per message) and `message_events` (its timeline), maintained together
 * under one checkpoint so that a reader never sees one ahead of the other.
 */
export const trackingProjection: Projection = combineProjections('tracking', 2, [messagesProjection, messageEventsProjection]);
export const trackingProjections: readonly Projection[] = [trackingProjection];

/** Checkpoints plus the tables of the tracking views; run after the event store's migrations. */
export const trackingMigrations: readonly Migration[] = [...checkpointMigrations, ...trackingProjection.migrations];
