import { z } from 'zod';
import { clientSchema, defineEvent, isoTimestamp, smtpReplySchema, tlsSchema, type EventOf } from './common.js';

export const policyStageSchema = z.enum(['connect', 'helo', 'auth', 'mail', 'rcpt', 'data', 'queue', 'delivery']);
export type PolicyStage = z.infer<typeof policyStageSchema>;
export const policyVerdictSchema = z.enum(['accept', 'reject', 'tempfail', 'quarantine', 'tag']);
export type PolicyVerdict = z.infer<typeof policyVerdictSchema>;

export const sessionStarted = defineEvent('SessionStarted', 1, z.object({
  sessionId: z.string(),
  listener: z.string(),
  client: clientSchema,
  localAddress: z.string(),
  localPort: z.number().int(),
  tls: tlsSchema,
  startedAt: isoTimestamp,
}));

export const sessionEnded = defineEvent('SessionEnded', 1, z.object({
  sessionId: z.string(),
  listener: z.string(),
  endedAt: isoTimestamp,
  reason: z.enum(['quit', 'closed', 'timeout', 'error', 'shutdown']),
  helo: z.string().nullable(),
  tls: tlsSchema,
  counts: z.object({
    messagesAccepted: z.number().int().nonnegative(),
    messagesRejected: z.number().int().nonnegative(),
    recipientsRejected: z.number().int().nonnegative(),
  }),
}));

export const authAttempted = defineEvent('AuthAttempted', 1, z.object({
  sessionId: z.string(),
  mechanism: z.string(),
  user: z.string(),
  outcome: z.enum(['success', 'failure']),
  at: isoTimestamp,
}));

export const policyEvaluated = defineEvent('PolicyEvaluated', 1, z.object({
  sessionId: z.string(),
  messageId: z.string().nullable(),
  stage: policyStageSchema,
  plugin: z.string(),
  verdict: policyVerdictSchema,
  reply: smtpReplySchema.nullable(),
  reason: z.string(),
  at: isoTimestamp,
}));

export const recipientRejected = defineEvent('RecipientRejected', 1, z.object({
  sessionId: z.string(),
  address: z.string(),
  reply: smtpReplySchema,
  reason: z.string(),
  at: isoTimestamp,
}));

/** MAIL FROM refused by Elemta (not by the protocol parser). */
export const senderRejected = defineEvent('SenderRejected', 1, z.object({
  sessionId: z.string(),
  address: z.string(),
  reply: smtpReplySchema,
  reason: z.string(),
  at: isoTimestamp,
}));

/** A DATA transaction that ended without a message: over the size limit, storage failure, policy. */
export const messageRejected = defineEvent('MessageRejected', 1, z.object({
  sessionId: z.string(),
  mailFrom: z.string(),
  rcptTo: z.array(z.string()),
  sizeBytes: z.number().int().nonnegative(),
  reply: smtpReplySchema,
  reason: z.string(),
  at: isoTimestamp,
}));

/** Any other command answered with 4xx/5xx: syntax errors, bad sequence, unknown commands, limits. */
export const commandRejected = defineEvent('CommandRejected', 1, z.object({
  sessionId: z.string(),
  /** The command verb and, except for AUTH, its argument (at most 512 characters). */
  command: z.string(),
  reply: smtpReplySchema,
  at: isoTimestamp,
}));

export type SessionStarted = EventOf<typeof sessionStarted>;
export type SessionEnded = EventOf<typeof sessionEnded>;
export type AuthAttempted = EventOf<typeof authAttempted>;
export type PolicyEvaluated = EventOf<typeof policyEvaluated>;
export type RecipientRejected = EventOf<typeof recipientRejected>;
export type SenderRejected = EventOf<typeof senderRejected>;
export type MessageRejected = EventOf<typeof messageRejected>;
export type CommandRejected = EventOf<typeof commandRejected>;

export type SessionEvent =
  | SessionStarted | SessionEnded | AuthAttempted | PolicyEvaluated
  | RecipientRejected | SenderRejected | MessageRejected | CommandRejected;

export const sessionEventDefinitions = [
  sessionStarted, sessionEnded, authAttempted, policyEvaluated, recipientRejected, senderRejected, messageRejected, commandRejected,
] as const;
