import type { SmtpReply } from '@elemta/domain';

/** One delivery of one message to the recipients of one destination domain (one SMTP transaction). */
export type DeliveryRequest = Readonly<{
  messageId: string;
  attemptId: string;
  /** '' is the null reverse-path (DSNs). */
  mailFrom: string;
  /** All in `domain`; they go in one transaction. */
  recipients: readonly string[];
  /** The lower-cased recipient domain. */
  domain: string;
  /** The stored message, byte for byte. */
  body: Buffer;
  /** Source address to bind (the sending zone's IP pool picks it); null lets the OS choose. */
  localAddress: string | null;
  signal?: AbortSignal;
}>;

export type RecipientOutcome = Readonly<{
  recipient: string;
  status: 'delivered' | 'deferred' | 'bounced';
  reply: SmtpReply;
}>;

/** What one attempt did: per recipient outcome, plus where it went and how. Transports never throw for a peer's answer. */
export type DeliveryReport = Readonly<{
  outcomes: readonly RecipientOutcome[];
  /** The host that gave the final answer (MX name, smarthost, LMTP host), or null if none was reached. */
  mxHost: string | null;
  mxAddress: string | null;
  localAddress: string | null;
  tls: Readonly<{ protocol: string; cipher: string }> | null;
  durationMs: number;
}>;

/** A named way to deliver (relay, smarthost, lmtp, maildir, capture). */
export interface Transport {
  readonly kind: string;
  deliver(request: DeliveryRequest): Promise<DeliveryReport>;
  close(): Promise<void>;
}
