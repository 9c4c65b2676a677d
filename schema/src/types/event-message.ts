import {
  bounceQueued, deliveryAttempted, messageAccepted, messageCancelled, messageExpired, messageHeld, messageQueued, messageReleased,
  recipientBounced, recipientDeferred, recipientDelivered, retryRequested, retryScheduled,
} from '@elemta/domain';
import { eventObject } from './event.js';
import {
  AuthenticationResults, ClientInfo, deliveryAttemptFields, Envelope, HeaderSummary, QueuedRecipient, TlsInfo,
} from './event-parts.js';
import { SmtpReply } from './queue.js';

const messageId = { description: 'The message.' } as const;

eventObject(messageAccepted, 'A message was accepted (250 to DATA): its envelope, headers, authentication and origin. The body itself is stored apart, by its SHA-256.', (t) => ({
  messageId: t.id({ ...messageId, resolve: (e) => e.data.messageId }),
  sessionId: t.id({ nullable: true, description: 'The SMTP session it came in; null when submitted otherwise.', resolve: (e) => e.data.sessionId }),
  envelope: t.field({ type: Envelope, description: 'MAIL FROM, RCPT TO and their parameters.', resolve: (e) => e.data.envelope }),
  sizeBytes: t.int({ description: 'Size as received, in bytes.', resolve: (e) => e.data.sizeBytes }),
  bodySha256: t.string({ description: 'SHA-256 of the stored message, hex.', resolve: (e) => e.data.bodySha256 }),
  bodyRef: t.string({ description: 'The blob store key of the body.', resolve: (e) => e.data.bodyRef }),
  headers: t.field({ type: HeaderSummary, description: 'The main header fields.', resolve: (e) => e.data.headers }),
  authentication: t.field({ type: AuthenticationResults, nullable: true, description: 'SPF, DKIM, DMARC and ARC results; null when not checked.', resolve: (e) => e.data.authentication }),
  client: t.field({ type: ClientInfo, nullable: true, description: 'The SMTP client; null when not received over SMTP.', resolve: (e) => e.data.client }),
  listener: t.string({ description: 'The listener that accepted it.', resolve: (e) => e.data.listener }),
  authUser: t.string({ nullable: true, description: 'The SMTP AUTH user, if any.', resolve: (e) => e.data.authUser }),
  tls: t.field({ type: TlsInfo, nullable: true, description: 'TLS of the SMTP connection; null in the clear.', resolve: (e) => e.data.tls }),
  annotations: t.field({ type: 'JSON', description: 'Annotations the policy plugins attached, an object of strings.', resolve: (e) => e.data.annotations }),
  acceptedAt: t.field({ type: 'DateTime', description: 'When it was accepted.', resolve: (e) => e.data.acceptedAt }),
}));

eventObject(messageQueued, 'A message was routed and queued: a route, zone, priority and first due time per recipient.', (t) => ({
  messageId: t.id({ ...messageId, resolve: (e) => e.data.messageId }),
  recipients: t.field({ type: [QueuedRecipient], description: 'Each recipient as routed.', resolve: (e) => e.data.recipients }),
  queuedAt: t.field({ type: 'DateTime', description: 'When it was queued.', resolve: (e) => e.data.queuedAt }),
}));

eventObject(deliveryAttempted, 'A delivery attempt ended: where it went, how, and the reply.', (t) => ({
  messageId: t.id({ ...messageId, resolve: (e) => e.data.messageId }),
  ...deliveryAttemptFields(t, (e) => e.data),
}));

eventObject(recipientDelivered, 'A recipient was delivered: the receiving server took responsibility for it.', (t) => ({
  messageId: t.id({ ...messageId, resolve: (e) => e.data.messageId }),
  recipient: t.string({ description: 'The recipient.', resolve: (e) => e.data.recipient }),
  attemptId: t.id({ description: 'The attempt that delivered it.', resolve: (e) => e.data.attemptId }),
  reply: t.field({ type: SmtpReply, description: 'The accepting reply.', resolve: (e) => e.data.reply }),
  at: t.field({ type: 'DateTime', description: 'When.', resolve: (e) => e.data.at }),
}));

eventObject(recipientDeferred, 'A recipient failed temporarily; it will be tried again at `nextAttemptAt`.', (t) => ({
  messageId: t.id({ ...messageId, resolve: (e) => e.data.messageId }),
  recipient: t.string({ description: 'The recipient.', resolve: (e) => e.data.recipient }),
  attemptId: t.id({ description: 'The attempt that failed.', resolve: (e) => e.data.attemptId }),
  reply: t.field({ type: SmtpReply, description: 'The temporary failure reply.', resolve: (e) => e.data.reply }),
  attempt: t.int({ description: 'How many attempts have been made for it, this one included.', resolve: (e) => e.data.attempt }),
  nextAttemptAt: t.field({ type: 'DateTime', description: 'When it is due again.', resolve: (e) => e.data.nextAttemptAt }),
  at: t.field({ type: 'DateTime', description: 'When.', resolve: (e) => e.data.at }),
}));

eventObject(recipientBounced, 'A recipient failed permanently; a DSN goes to the sender where appropriate.', (t) => ({
  messageId: t.id({ ...messageId, resolve: (e) => e.data.messageId }),
  recipient: t.string({ description: 'The recipient.', resolve: (e) => e.data.recipient }),
  attemptId: t.id({ nullable: true, description: 'The attempt that failed; null when it bounced without one (e.g. no route).', resolve: (e) => e.data.attemptId }),
  reply: t.field({ type: SmtpReply, description: 'The permanent failure reply.', resolve: (e) => e.data.reply }),
  reason: t.string({ description: 'Why, in words.', resolve: (e) => e.data.reason }),
  at: t.field({ type: 'DateTime', description: 'When.', resolve: (e) => e.data.at }),
}));

eventObject(retryScheduled, 'Recipients were scheduled for another attempt.', (t) => ({
  messageId: t.id({ ...messageId, resolve: (e) => e.data.messageId }),
  recipients: t.stringList({ description: 'The recipients.', resolve: (e) => e.data.recipients }),
  attempt: t.int({ description: 'The number of the coming attempt.', resolve: (e) => e.data.attempt }),
  at: t.field({ type: 'DateTime', description: 'When they are due.', resolve: (e) => e.data.at }),
}));

eventObject(messageExpired, 'The maximum queue time passed: the recipients still pending were given up.', (t) => ({
  messageId: t.id({ ...messageId, resolve: (e) => e.data.messageId }),
  recipients: t.stringList({ description: 'The recipients given up.', resolve: (e) => e.data.recipients }),
  queueAgeSeconds: t.float({ description: 'How long the message had been queued, in seconds.', resolve: (e) => e.data.queueAgeSeconds }),
  at: t.field({ type: 'DateTime', description: 'When.', resolve: (e) => e.data.at }),
}));

eventObject(bounceQueued, 'A delivery status notification (RFC 3464) about this message was queued as a message of its own.', (t) => ({
  messageId: t.id({ ...messageId, resolve: (e) => e.data.messageId }),
  dsnMessageId: t.id({ description: 'The id of the DSN message (its own stream).', resolve: (e) => e.data.dsnMessageId }),
  recipients: t.stringList({ description: 'The recipients the DSN reports on.', resolve: (e) => e.data.recipients }),
  at: t.field({ type: 'DateTime', description: 'When.', resolve: (e) => e.data.at }),
}));

type AdminAction = typeof messageHeld | typeof messageReleased | typeof messageCancelled | typeof retryRequested;

const adminAction = <D extends AdminAction>(definition: D, description: string) =>
  eventObject(definition, description, (t) => ({
    messageId: t.id({ ...messageId, resolve: (e) => e.data.messageId }),
    // `actor` is the Event field (the metadata's); this one is who asked, e.g. `policy:<plugin>` for a quarantine.
    requestedBy: t.string({ description: 'Who asked for it (`api-key:<id>`, `policy:<plugin>`); the `data.actor` of the event.', resolve: (e) => e.data.actor }),
    reason: t.string({ description: 'Why, as given; may be empty.', resolve: (e) => e.data.reason }),
    at: t.field({ type: 'DateTime', description: 'When.', resolve: (e) => e.data.at }),
  }));

adminAction(messageHeld, 'A message was held: nothing is delivered until it is released.');
adminAction(messageReleased, 'A held message was released.');
adminAction(messageCancelled, 'A message was cancelled: its pending recipients were given up without a bounce.');
adminAction(retryRequested, "A message's pending recipients were made due now.");
