import { z } from 'zod';
import {
  clientSchema, defineEvent, isoTimestamp, prioritySchema, smtpReplySchema, tlsSchema, type EventOf,
} from './common.js';

const actorSchema = z.string().min(1);

export const authResultSchema = z.object({
  result: z.string(),
  detail: z.string().nullable(),
});
export type AuthenticationResults = z.infer<typeof authenticationResultsSchema>;
export const authenticationResultsSchema = z.object({
  spf: authResultSchema.nullable(),
  dkim: authResultSchema.nullable(),
  dmarc: authResultSchema.nullable(),
  arc: authResultSchema.nullable(),
});

export const headerSummarySchema = z.object({
  from: z.string().nullable(),
  to: z.string().nullable(),
  subject: z.string().nullable(),
  messageId: z.string().nullable(),
  date: z.string().nullable(),
});
export type HeaderSummary = z.infer<typeof headerSummarySchema>;

export const envelopeSchema = z.object({
  mailFrom: z.string(), // '' is the null reverse-path (<>)
  rcptTo: z.array(z.string()).min(1),
  params: z.record(z.string(), z.string()),
});
export type Envelope = z.infer<typeof envelopeSchema>;

export const messageAccepted = defineEvent('MessageAccepted', 1, z.object({
  messageId: z.string(),
  sessionId: z.string().nullable(),
  envelope: envelopeSchema,
  sizeBytes: z.number().int().nonnegative(),
  bodySha256: z.string().regex(/^[0-9a-f]{64}$/),
  bodyRef: z.string(),
  headers: headerSummarySchema,
  authentication: authenticationResultsSchema.nullable(),
  client: clientSchema.nullable(),
  listener: z.string(),
  authUser: z.string().nullable(),
  tls: tlsSchema,
  annotations: z.record(z.string(), z.string()),
  acceptedAt: isoTimestamp,
}));

export const queuedRecipientSchema = z.object({
  address: z.string(),
  domain: z.string(),
  route: z.string(),
  zone: z.string(),
  priority: prioritySchema,
  notBefore: isoTimestamp,
});
export type QueuedRecipient = z.infer<typeof queuedRecipientSchema>;

export const messageQueued = defineEvent('MessageQueued', 1, z.object({
  messageId: z.string(),
  recipients: z.array(queuedRecipientSchema).min(1),
  queuedAt: isoTimestamp,
}));

export const deliveryAttempted = defineEvent('DeliveryAttempted', 1, z.object({
  messageId: z.string(),
  attemptId: z.string(),
  recipients: z.array(z.string()).min(1),
  zone: z.string(),
  localAddress: z.string().nullable(),
  mxHost: z.string().nullable(),
  mxAddress: z.string().nullable(),
  tls: tlsSchema,
  reply: smtpReplySchema.nullable(),
  durationMs: z.number().nonnegative(),
  outcome: z.enum(['delivered', 'deferred', 'bounced', 'partial']),
  at: isoTimestamp,
}));

export const recipientDelivered = defineEvent('RecipientDelivered', 1, z.object({
  messageId: z.string(), recipient: z.string(), attemptId: z.string(), reply: smtpReplySchema, at: isoTimestamp,
}));

export const recipientDeferred = defineEvent('RecipientDeferred', 1, z.object({
  messageId: z.string(), recipient: z.string(), attemptId: z.string(), reply: smtpReplySchema,
  attempt: z.number().int().positive(), nextAttemptAt: isoTimestamp, at: isoTimestamp,
}));

export const recipientBounced = defineEvent('RecipientBounced', 1, z.object({
  messageId: z.string(), recipient: z.string(), attemptId: z.string().nullable(), reply: smtpReplySchema,
  reason: z.string(), at: isoTimestamp,
}));

export const retryScheduled = defineEvent('RetryScheduled', 1, z.object({
  messageId: z.string(), recipients: z.array(z.string()).min(1), attempt: z.number().int().positive(), at: isoTimestamp,
}));

export const messageExpired = defineEvent('MessageExpired', 1, z.object({
  messageId: z.string(), recipients: z.array(z.string()), queueAgeSeconds: z.number().nonnegative(), at: isoTimestamp,
}));

export const bounceQueued = defineEvent('BounceQueued', 1, z.object({
  messageId: z.string(), dsnMessageId: z.string(), recipients: z.array(z.string()), at: isoTimestamp,
}));

const adminAction = z.object({ messageId: z.string(), actor: actorSchema, reason: z.string(), at: isoTimestamp });
export const messageHeld = defineEvent('MessageHeld', 1, adminAction);
export const messageReleased = defineEvent('MessageReleased', 1, adminAction);
export const messageCancelled = defineEvent('MessageCancelled', 1, adminAction);
export const retryRequested = defineEvent('RetryRequested', 1, adminAction);

export type MessageAccepted = EventOf<typeof messageAccepted>;
export type MessageQueued = EventOf<typeof messageQueued>;
export type DeliveryAttempted = EventOf<typeof deliveryAttempted>;
export type RecipientDelivered = EventOf<typeof recipientDelivered>;
export type RecipientDeferred = EventOf<typeof recipientDeferred>;
export type RecipientBounced = EventOf<typeof recipientBounced>;
export type RetryScheduled = EventOf<typeof retryScheduled>;
export type MessageExpired = EventOf<typeof messageExpired>;
export type BounceQueued = EventOf<typeof bounceQueued>;
export type MessageHeld = EventOf<typeof messageHeld>;
export type MessageReleased = EventOf<typeof messageReleased>;
export type MessageCancelled = EventOf<typeof messageCancelled>;
export type RetryRequested = EventOf<typeof retryRequested>;

export type MessageEvent =
  | MessageAccepted | MessageQueued | DeliveryAttempted | RecipientDelivered | RecipientDeferred
  | RecipientBounced | RetryScheduled | MessageExpired | BounceQueued
  | MessageHeld | MessageReleased | MessageCancelled | RetryRequested;

export const messageEventDefinitions = [
  messageAccepted, messageQueued, deliveryAttempted, recipientDelivered, recipientDeferred, recipientBounced,
  retryScheduled, messageExpired, bounceQueued, messageHeld, messageReleased, messageCancelled, retryRequested,
] as const;
