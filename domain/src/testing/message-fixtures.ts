/**
 * Fixtures for message decider tests: commands and the events the decider is expected to produce, built with the
 * production event constructors. Test-framework neutral (no vitest import), like `decider-spec.ts`.
 */
import type { SmtpReply } from '../events/common.js';
import {
  deliveryAttempted, messageAccepted, messageQueued, recipientDeferred, retryScheduled, type MessageEvent,
} from '../events/message-events.js';
import type {
  AcceptMessage, AdminCommand, AttemptOutcome, ExpireMessage, RecordDeliveryAttempt,
} from '../message/commands.js';
import type { RetryPolicy } from '../policies/retry-schedule.js';
import { planRecipients, type RoutingPolicy } from '../policies/routing.js';

export const messageId = '0190f3c2-0000-7000-8000-000000000001';
export const dsnMessageId = '0190f3c2-0000-7000-8000-0000000000d5';
export const acceptedAt = '2026-11-20T10:00:00.000Z';

/** The time `seconds` after the message was accepted. */
export const after = (seconds: number): string => new Date(Date.parse(acceptedAt) + seconds * 1000).toISOString();

export const routingPolicy: RoutingPolicy = {
  defaultRoute: 'capture', domains: { 'local.test': 'maildir' }, defaultZone: 'default', defaultPriority: 'normal',
};

/** 300 s, ×2 each time, at most 1 h; one day in the queue. */
export const retryPolicy: RetryPolicy = {
  initialDelaySeconds: 300, multiplier: 2, maxDelaySeconds: 3600, jitterRatio: 0.1, maxQueueSeconds: 86_400,
};

export const replies = {
  ok: { code: 250, enhancedCode: '2.0.0', text: 'OK queued as 1234', command: 'DATA' },
  userUnknown: { code: 550, enhancedCode: '5.1.1', text: 'User unknown', command: 'RCPT TO' },
  tempFail: { code: 451, enhancedCode: '4.3.0', text: 'Try again later', command: 'RCPT TO' },
} satisfies Record<string, SmtpReply>;

export const acceptCommand = (rcptTo: string[], overrides: Partial<AcceptMessage['data']> = {}): AcceptMessage => ({
  type: 'AcceptMessage',
  data: {
    messageId,
    sessionId: '0190f3c2-0000-7000-8000-0000000000aa',
    envelope: { mailFrom: 'alice@example.org', rcptTo, params: {} },
    sizeBytes: 1176,
    bodySha256: 'a'.repeat(64),
    bodyRef: 'a'.repeat(64),
    headers: { from: 'Alice <alice@example.org>', to: null, subject: 'Hi', messageId: '<1@example.org>', date: null },
    authentication: null,
    client: { address: '127.0.0.1', port: 40000, reverseDns: null, helo: 'client.test' },
    listener: 'mx',
    authUser: null,
    tls: null,
    annotations: {},
    recipients: planRecipients(rcptTo, routingPolicy, acceptedAt),
    ...overrides,
  },
  metadata: { now: acceptedAt },
});

/** MessageAccepted + MessageQueued, as `AcceptMessage` records them. */
export const acceptedEvents = (
  rcptTo: string[], overrides: Partial<Pick<AcceptMessage['data'], 'envelope' | 'annotations'>> = {},
): MessageEvent[] => {
  const { recipients, ...data } = acceptCommand(rcptTo, overrides).data;
  return [
    messageAccepted({ ...data, annotations: { ...data.annotations }, acceptedAt }),
    messageQueued({ messageId, recipients: [...recipients], queuedAt: acceptedAt }),
  ];
};

export const delivered = (recipient: string, reply: SmtpReply = replies.ok): AttemptOutcome => ({ recipient, status: 'delivered', reply });
export const bounced = (recipient: string, reply: SmtpReply = replies.userUnknown): AttemptOutcome => ({ recipient, status: 'bounced', reply });
export const deferred = (recipient: string, reply: SmtpReply = replies.tempFail): AttemptOutcome => ({ recipient, status: 'deferred', reply });

type AttemptOptions = Partial<Omit<RecordDeliveryAttempt['data'], 'outcomes'>> & { now?: string };

export const attemptCommand = (outcomes: AttemptOutcome[], { now = after(60), ...data }: AttemptOptions = {}): RecordDeliveryAttempt => ({
  type: 'RecordDeliveryAttempt',
  data: {
    messageId,
    attemptId: 'attempt-1',
    zone: 'default',
    localAddress: '192.0.2.1',
    mxHost: 'mx.example.net',
    mxAddress: '198.51.100.7',
    tls: { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' },
    durationMs: 120,
    outcomes,
    retry: retryPolicy,
    jitter: 0.5,
    dsnMessageId,
    ...data,
  },
  metadata: { now },
});

/** The DeliveryAttempted that `attemptCommand` with these arguments records. */
export const attemptedEvent = (
  args: Readonly<{ attemptId?: string; recipients: string[]; outcome: 'delivered' | 'deferred' | 'bounced' | 'partial'; reply: SmtpReply; at: string }>,
): MessageEvent => deliveryAttempted({
  messageId, attemptId: args.attemptId ?? 'attempt-1', recipients: args.recipients, zone: 'default', localAddress: '192.0.2.1',
  mxHost: 'mx.example.net', mxAddress: '198.51.100.7', tls: { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' },
  reply: args.reply, durationMs: 120, outcome: args.outcome, at: args.at,
});

/** The three events of one attempt that deferred a single recipient. */
export const deferralEvents = (
  args: Readonly<{ attemptId: string; recipient: string; attempt: number; at: string; nextAttemptAt: string }>,
): MessageEvent[] => [
  attemptedEvent({ attemptId: args.attemptId, recipients: [args.recipient], outcome: 'deferred', reply: replies.tempFail, at: args.at }),
  recipientDeferred({
    messageId, recipient: args.recipient, attemptId: args.attemptId, reply: replies.tempFail, attempt: args.attempt,
    nextAttemptAt: args.nextAttemptAt, at: args.at,
  }),
  retryScheduled({ messageId, recipients: [args.recipient], attempt: args.attempt, at: args.nextAttemptAt }),
];

export const expireCommand = (now: string, overrides: Partial<ExpireMessage['data']> = {}): ExpireMessage => ({
  type: 'ExpireMessage',
  data: { messageId, maxQueueSeconds: retryPolicy.maxQueueSeconds, dsnMessageId, ...overrides },
  metadata: { now },
});

export const adminCommand = <T extends AdminCommand['type']>(
  type: T, now: string = after(30), overrides: Partial<AdminCommand['data']> = {},
): Extract<AdminCommand, { type: T }> => ({
  type,
  data: { messageId, actor: 'api-key:ops', reason: 'suspected spam', ...overrides },
  metadata: { now },
}) as Extract<AdminCommand, { type: T }>;
