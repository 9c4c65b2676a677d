import type { GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import './types/query.js';
import './types/scalars.js';
import './types/errors.js';
import './types/pagination.js';
import './types/viewer.js';
import './types/message-status.js';
import './types/event.js';
import './types/event-parts.js';
import './types/event-message.js';
import './types/event-session.js';
import './types/event-admin.js';
import './types/events-query.js';
import './types/session.js';
import './types/message-filter.js';
import './types/message.js';
import './types/message-details.js';
import './types/queue.js';
import './types/queue-actions.js';
import './types/stats.js';
import './types/zones.js';
import './types/api-keys.js';
import './types/projection-replay.js';
import './types/send-message.js';
import './types/subscriptions.js';

export type {
  Context, MessageCommands, Rate, ZoneSettings, QueueActionFailure, QueueActionFilter, QueueActionInput, QueueActionResult, Role, Viewer,
} from './builder.js';
export type {
  MessageSubmissions, SubmissionAccepted, SubmissionFields, SubmissionHeader, SubmissionInput, SubmissionInvalid, SubmissionRefusedByPolicy,
  SubmissionResult,
} from './submissions.js';
export type { EventFeed, EventFeedFilter } from './event-feed.js';
export type { EventLog, EventRecord, EventRecordMetadata } from './event-log.js';
export type { ApiKeyAdmin, ApiKeyInfo, ProjectionAdmin, ProjectionReplay } from './admin-ports.js';

let schema: GraphQLSchema | undefined;

/** The Elemta GraphQL schema. Built once per process; the same instance is returned after that. */
export const buildSchema = (): GraphQLSchema => (schema ??= builder.toSchema());
