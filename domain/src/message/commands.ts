import type { ClientInfo } from '../events/common.js';
import type { Envelope, HeaderSummary, MessageAccepted, QueuedRecipient } from '../events/message-events.js';

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

export type MessageCommand = AcceptMessage;
