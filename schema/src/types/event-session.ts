import {
  authAttempted, commandRejected, messageRejected, policyEvaluated, recipientRejected, senderRejected, sessionEnded, sessionStarted,
} from '@elemta/domain';
import { eventObject } from './event.js';
import { authAttemptFields, ClientInfo, policyVerdictFields, SessionCounts, SessionEndReason, TlsInfo } from './event-parts.js';
import { SmtpReply } from './queue.js';

const sessionId = { description: 'The SMTP session.' } as const;

eventObject(sessionStarted, 'An SMTP client connected to a listener.', (t) => ({
  sessionId: t.id({ ...sessionId, resolve: (e) => e.data.sessionId }),
  listener: t.string({ description: 'The listener it connected to.', resolve: (e) => e.data.listener }),
  client: t.field({ type: ClientInfo, description: 'The client as known at connect time (no HELO yet).', resolve: (e) => e.data.client }),
  localAddress: t.string({ description: 'The local address it connected to.', resolve: (e) => e.data.localAddress }),
  localPort: t.int({ description: 'The local port it connected to.', resolve: (e) => e.data.localPort }),
  tls: t.field({ type: TlsInfo, nullable: true, description: 'TLS from the first byte (implicit TLS); null otherwise.', resolve: (e) => e.data.tls }),
  startedAt: t.field({ type: 'DateTime', description: 'When the client connected.', resolve: (e) => e.data.startedAt }),
}));

eventObject(sessionEnded, 'An SMTP session ended, with what it amounted to.', (t) => ({
  sessionId: t.id({ ...sessionId, resolve: (e) => e.data.sessionId }),
  listener: t.string({ description: 'The listener.', resolve: (e) => e.data.listener }),
  endedAt: t.field({ type: 'DateTime', description: 'When it ended.', resolve: (e) => e.data.endedAt }),
  reason: t.field({ type: SessionEndReason, description: 'Why it ended.', resolve: (e) => e.data.reason }),
  helo: t.string({ nullable: true, description: 'The last HELO/EHLO name the client gave; null if none.', resolve: (e) => e.data.helo }),
  tls: t.field({ type: TlsInfo, nullable: true, description: 'TLS at the end (after STARTTLS); null in the clear.', resolve: (e) => e.data.tls }),
  counts: t.field({ type: SessionCounts, description: 'Messages accepted and rejected, recipients rejected.', resolve: (e) => e.data.counts }),
}));

eventObject(authAttempted, 'An SMTP AUTH attempt was answered. The password is never recorded.', (t) => ({
  sessionId: t.id({ ...sessionId, resolve: (e) => e.data.sessionId }),
  ...authAttemptFields(t, (e) => e.data),
}));

eventObject(policyEvaluated, 'A policy plugin gave a verdict at one stage of a session, a message or a delivery.', (t) => ({
  sessionId: t.id({ description: 'The SMTP session; empty when the verdict did not come from one (e.g. at delivery).', resolve: (e) => e.data.sessionId }),
  messageId: t.id({ nullable: true, description: 'The message; null for verdicts before a message existed.', resolve: (e) => e.data.messageId }),
  ...policyVerdictFields(t, (e) => e.data),
}));

eventObject(recipientRejected, 'Elemta refused a RCPT TO.', (t) => ({
  sessionId: t.id({ ...sessionId, resolve: (e) => e.data.sessionId }),
  address: t.string({ description: 'The recipient refused.', resolve: (e) => e.data.address }),
  reply: t.field({ type: SmtpReply, description: 'The reply sent.', resolve: (e) => e.data.reply }),
  reason: t.string({ description: 'Why.', resolve: (e) => e.data.reason }),
  at: t.field({ type: 'DateTime', description: 'When.', resolve: (e) => e.data.at }),
}));

eventObject(senderRejected, 'Elemta refused a MAIL FROM.', (t) => ({
  sessionId: t.id({ ...sessionId, resolve: (e) => e.data.sessionId }),
  address: t.string({ description: 'The sender refused.', resolve: (e) => e.data.address }),
  reply: t.field({ type: SmtpReply, description: 'The reply sent.', resolve: (e) => e.data.reply }),
  reason: t.string({ description: 'Why.', resolve: (e) => e.data.reason }),
  at: t.field({ type: 'DateTime', description: 'When.', resolve: (e) => e.data.at }),
}));

eventObject(messageRejected, 'A DATA transaction ended without a message (size limit, storage failure, policy).', (t) => ({
  sessionId: t.id({ ...sessionId, resolve: (e) => e.data.sessionId }),
  mailFrom: t.string({ description: 'The envelope sender of the transaction.', resolve: (e) => e.data.mailFrom }),
  rcptTo: t.stringList({ description: 'Its accepted recipients.', resolve: (e) => e.data.rcptTo }),
  sizeBytes: t.int({ description: 'How many bytes were received.', resolve: (e) => e.data.sizeBytes }),
  reply: t.field({ type: SmtpReply, description: 'The reply sent.', resolve: (e) => e.data.reply }),
  reason: t.string({ description: 'Why.', resolve: (e) => e.data.reason }),
  at: t.field({ type: 'DateTime', description: 'When.', resolve: (e) => e.data.at }),
}));

eventObject(commandRejected, 'Another SMTP command was answered with 4xx/5xx (syntax, sequence, unknown command, limits).', (t) => ({
  sessionId: t.id({ ...sessionId, resolve: (e) => e.data.sessionId }),
  command: t.string({ description: 'The command verb and, except for AUTH, its argument (at most 512 characters).', resolve: (e) => e.data.command }),
  reply: t.field({ type: SmtpReply, description: 'The reply sent.', resolve: (e) => e.data.reply }),
  at: t.field({ type: 'DateTime', description: 'When.', resolve: (e) => e.data.at }),
}));
