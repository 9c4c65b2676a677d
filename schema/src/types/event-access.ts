import type { Viewer } from '../builder.js';
import type { EventRecord } from '../event-log.js';
import { ForbiddenError } from './queue-actions.js';
import { READERS, requireRole } from './roles.js';

/** Throws `ForbiddenError` unless the viewer may read any stream of the log (every role that reads all messages). */
export const assertMayReadLog = (viewer: Viewer, what: string): void => requireRole(viewer, READERS, `read ${what}`);

/**
 * Throws `ForbiddenError` unless the viewer may read this stream: readers of the log may read every stream; an
 * integrator only the stream of a message it submitted itself, as told by the `actor` (`api-key:<id>`) of the
 * stream's `MessageAccepted`. A stream without one (a session, an admin area, nothing) is never an integrator's.
 */
export const assertMayReadStream = (viewer: Viewer, events: readonly EventRecord[]): void => {
  if (READERS.includes(viewer.role)) return;
  const accepted = events.find((e) => e.type === 'MessageAccepted');
  if (accepted?.metadata.actor !== `api-key:${viewer.id}`) {
    throw new ForbiddenError(`the ${viewer.role} role may read only the events of messages it submitted`);
  }
};
