import { GraphQLError } from 'graphql';
import type { MessageFilter, MessageView } from '@elemta/projections';
import type { Role, Viewer } from '../builder.js';
import { ForbiddenError } from './queue-actions.js';

/**
 * Who may do what (the roles): admin everything; operator reads and runs the queue, no bodies, no keys;
 * auditor reads everything, bodies and events included, and changes nothing; integrator sends and reads only the
 * messages it submitted.
 */
export const ADMIN_ONLY: readonly Role[] = ['admin'];
/** Roles that read every message and the queue (not only their own). */
export const READERS: readonly Role[] = ['admin', 'operator', 'auditor'];

const refusal = (viewer: Viewer, what: string): string => `the ${viewer.role} role may not ${what}`;

/** For fields with a result union: throws the typed `ForbiddenError` unless the viewer has one of `roles`. */
export const requireRole = (viewer: Viewer, roles: readonly Role[], what: string): void => {
  if (!roles.includes(viewer.role)) throw new ForbiddenError(refusal(viewer, what));
};

/**
 * For reads with a plain result type (their clients predate result unions): the same refusal as a GraphQL error with
 * `extensions.code = 'FORBIDDEN'`, and no data.
 */
export const requireRoleToRead = (viewer: Viewer, roles: readonly Role[], what: string): void => {
  if (!roles.includes(viewer.role)) throw new GraphQLError(refusal(viewer, what), { extensions: { code: 'FORBIDDEN' } });
};

/** The actor recorded on what this key submits (`api-key:<id>`), as in `MessageAccepted`'s metadata. */
const submitterOf = (viewer: Viewer): string => `api-key:${viewer.id}`;

/**
 * A message filter narrowed to what the viewer may see: an integrator only what it submitted. Null when nothing can
 * match (an integrator asking for another submitter's messages: the filter's fields are ANDed).
 */
export const scopeMessageFilter = (viewer: Viewer, filter: MessageFilter): MessageFilter | null => {
  if (viewer.role !== 'integrator') return filter;
  const own = submitterOf(viewer);
  return filter.submittedBy === undefined || filter.submittedBy === own ? { ...filter, submittedBy: own } : null;
};

/** Whether the viewer may see this message at all (to an integrator, another key's message does not exist). */
export const maySeeMessage = (viewer: Viewer, message: MessageView): boolean =>
  viewer.role !== 'integrator' || message.submittedBy === submitterOf(viewer);
