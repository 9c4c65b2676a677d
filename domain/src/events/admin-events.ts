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

export type ApiKeyCreated = EventOf<typeof apiKeyCreated>;
export type ApiKeyRevoked = EventOf<typeof apiKeyRevoked>;
export type SmtpUserAdded = EventOf<typeof smtpUserAdded>;
export type SmtpUserRemoved = EventOf<typeof smtpUserRemoved>;
export type SmtpUserPasswordChanged = EventOf<typeof smtpUserPasswordChanged>;
export type AdminEvent = ApiKeyCreated | ApiKeyRevoked | SmtpUserAdded | SmtpUserRemoved | SmtpUserPasswordChanged;
export const adminEventDefinitions = [apiKeyCreated, apiKeyRevoked, smtpUserAdded, smtpUserRemoved, smtpUserPasswordChanged] as const;
