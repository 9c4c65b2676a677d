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

export type ApiKeyCreated = EventOf<typeof apiKeyCreated>;
export type ApiKeyRevoked = EventOf<typeof apiKeyRevoked>;
export type AdminEvent = ApiKeyCreated | ApiKeyRevoked;
export const adminEventDefinitions = [apiKeyCreated, apiKeyRevoked] as const;
