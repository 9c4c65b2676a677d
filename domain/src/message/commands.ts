import type { ClientInfo, SmtpReply } from '../events/common.js';
import type { Envelope, HeaderSummary, MessageAccepted, QueuedRecipient } from '../events/message-events.js';
import type { RetryPolicy } from '../policies/retry-schedule.js';

/** Supplied by the caller so that `decide` stays pure: the clock reading for this command. */
export type CommandMetadata = Readonly<{ now: string }>;

export type AcceptMessage = Readonly<{
  type: 'AcceptMessage';
  data: Readonly<{
    messageId: string;
    sessionId: string | null;
    envelope: Envelope;
    sizeBytes: number;
    bodySha256: string;
    bodyRef: string;
    headers: HeaderSummary;
    authentication: MessageAccepted['data']['authentication'];
    client: ClientInfo | null;
    listener: string;
    authUser: string | null;
    tls: MessageAccepted['data']['tls'];
    annotations: Readonly<Record<string, string>>;
    /** One entry per RCPT TO, routed by `planRecipients`. */
    recipients: readonly QueuedRecipient[];
  }>;
  metadata: CommandMetadata;
}>;

export type AttemptOutcome = Readonly<{ recipient: string; status: 'delivered' | 'deferred' | 'bounced'; reply: SmtpReply }>;

/** The result of one delivery attempt (one SMTP transaction or local delivery) for some of a message's recipients. */
export type RecordDeliveryAttempt = Readonly<{
  type: 'RecordDeliveryAttempt';
  data: Readonly<{
    messageId: string;
    attemptId: string;
    zone: string;
    localAddress: string | null;
    mxHost: string | null;
    mxAddress: string | null;
    tls: Readonly<{ protocol: string; cipher: string }> | null;
    durationMs: number;
    outcomes: readonly AttemptOutcome[];
    retry: RetryPolicy;
    /** A number in [0, 1) for the retry jitter; the caller draws it. */
    jitter: number;
    /** The id the DSN gets if this attempt bounces or expires a recipient of a message that may be bounced. */
    dsnMessageId: string;
  }>;
  metadata: CommandMetadata;
}>;

/** Expires the pending recipients of a message past its maximum queue time. */
export type ExpireMessage = Readonly<{
  type: 'ExpireMessage';
  data: Readonly<{ messageId: string; maxQueueSeconds: number; dsnMessageId: string }>;
  metadata: CommandMetadata;
}>;

type AdminData = Readonly<{ messageId: string; actor: string; reason: string }>;
export type HoldMessage = Readonly<{ type: 'HoldMessage'; data: AdminData; metadata: CommandMetadata }>;
export type ReleaseMessage = Readonly<{ type: 'ReleaseMessage'; data: AdminData; metadata: CommandMetadata }>;
export type CancelMessage = Readonly<{ type: 'CancelMessage'; data: AdminData; metadata: CommandMetadata }>;
export type RequestRetry = Readonly<{ type: 'RequestRetry'; data: AdminData; metadata: CommandMetadata }>;

export type AdminCommand = HoldMessage | ReleaseMessage | CancelMessage | RequestRetry;
export type MessageCommand = AcceptMessage | RecordDeliveryAttempt | ExpireMessage | AdminCommand;
