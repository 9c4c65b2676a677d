import { z } from 'zod';
import { defineEvent, isoTimestamp, type EventOf } from './common.js';

export const apiKeyRoleSchema = z.enum(['admin', 'operator', 'auditor', 'integrator']);
export type ApiKeyRole = z.infer<typeof apiKeyRoleSchema>;

/** In `admin-apiKeys`. Never carries the key or its hash. */
export const apiKeyCreated = defineEvent('ApiKeyCreated', 1, z.object({
  keyId: z.string(), name: z.string(), role: apiKeyRoleSchema, at: isoTimestamp,
}));
export const apiKeyRevoked = defineEvent('ApiKeyRevoked', 1, z.object({
  keyId: z.string(), reason: z.string(), at: isoTimestamp,
}));

/** In `admin-smtpUsers`: SMTP AUTH users. Never carries the password or its hash. `actor` repeats the metadata's. */
const smtpUserChange = z.object({ username: z.string().min(1), actor: z.string().min(1), at: isoTimestamp });
export const smtpUserAdded = defineEvent('SmtpUserAdded', 1, smtpUserChange);
export const smtpUserRemoved = defineEvent('SmtpUserRemoved', 1, smtpUserChange);
export const smtpUserPasswordChanged = defineEvent('SmtpUserPasswordChanged', 1, smtpUserChange);

/**
 * In `admin-projections`: a view rebuilt from event zero while the node runs (`replayProjection`). Requested before the
 * view is emptied, replayed once it has caught up with the log; `events` counts the events the rebuild applied itself
 * (a runner elsewhere may apply some). `actor` repeats the metadata's.
 */
export const projectionReplayRequested = defineEvent('ProjectionReplayRequested', 1, z.object({
  projection: z.string().min(1), actor: z.string().min(1), at: isoTimestamp,
}));
export const projectionReplayed = defineEvent('ProjectionReplayed', 1, z.object({
  projection: z.string().min(1), actor: z.string().min(1), events: z.number().int().nonnegative(), at: isoTimestamp,
}));

export type ApiKeyCreated = EventOf<typeof apiKeyCreated>;
export type ApiKeyRevoked = EventOf<typeof apiKeyRevoked>;
export type SmtpUserAdded = EventOf<typeof smtpUserAdded>;
export type SmtpUserRemoved = EventOf<typeof smtpUserRemoved>;
export type SmtpUserPasswordChanged = EventOf<typeof smtpUserPasswordChanged>;
export type ProjectionReplayRequested = EventOf<typeof projectionReplayRequested>;
export type ProjectionReplayed = EventOf<typeof projectionReplayed>;
export type AdminEvent =
  | ApiKeyCreated | ApiKeyRevoked | SmtpUserAdded | SmtpUserRemoved | SmtpUserPasswordChanged
  | ProjectionReplayRequested | ProjectionReplayed;
export const adminEventDefinitions = [
  apiKeyCreated, apiKeyRevoked, smtpUserAdded, smtpUserRemoved, smtpUserPasswordChanged, projectionReplayRequested, projectionReplayed,
] as const;
