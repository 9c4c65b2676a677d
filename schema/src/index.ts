import type { GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import './types/query.js';
import './types/scalars.js';
import './types/errors.js';
import './types/pagination.js';
import './types/viewer.js';
import './types/message-status.js';
import './types/message-event.js';
import './types/message-filter.js';
import './types/message.js';
import './types/queue.js';
import './types/queue-actions.js';

export type {
  Context, MessageCommands, QueueActionFailure, QueueActionFilter, QueueActionInput, QueueActionResult, Role, Viewer,
} from './builder.js';

let schema: GraphQLSchema | undefined;

/** The Elemta GraphQL schema. Built once per process; the same instance is returned after that. */
export const buildSchema = (): GraphQLSchema => (schema ??= builder.toSchema());
