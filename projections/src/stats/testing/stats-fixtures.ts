import {
  messageAccepted, messageExpired, messageRejected, recipientBounced, recipientDeferred, recipientDelivered, sessionEnded,
  sessionStarted,
} from '@elemta/domain';
import { accepted, queued, reply } from '../../testing/message-fixtures.js';

/** `MessageAccepted` of `rcptTo` at `at`, received on `listener`. */
export const acceptedOn = (id: string, listener: string, at: string, rcptTo: string[] = ['a@example.net']) =>
  messageAccepted({ ...accepted(id, { rcptTo, acceptedAt: at }).data, listener });

/** `MessageQueued` routing every recipient to `zone`. */
export const routedTo = (id: string, rcptTo: readonly string[], zone: string) => queued(id, rcptTo, zone);

export const delivered = (id: string, recipient: string, at: string) =>
  recipientDelivered({ messageId: id, recipient, attemptId: 'a1', reply: reply(250, '2.0.0'), at });
export const deferred = (id: string, recipient: string, at: string, attempt = 1) => recipientDeferred({
  messageId: id, recipient, attemptId: `a${attempt}`, reply: reply(451, '4.3.0'), attempt, nextAttemptAt: at, at,
});
export const bounced = (id: string, recipient: string, at: string) =>
  recipientBounced({ messageId: id, recipient, attemptId: 'a1', reply: reply(550, '5.1.1'), reason: 'unknown user', at });
export const expired = (id: string, recipients: string[], at: string) =>
  messageExpired({ messageId: id, recipients, queueAgeSeconds: 3600, at });

export const started = (sessionId: string, listener: string, at: string) => sessionStarted({
  sessionId, listener, client: { address: '127.0.0.1', port: 1, reverseDns: null, helo: null },
  localAddress: '127.0.0.1', localPort: 2525, tls: null, startedAt: at,
});
export const ended = (sessionId: string, listener: string, at: string) => sessionEnded({
  sessionId, listener, endedAt: at, reason: 'quit', helo: null, tls: null,
  counts: { messagesAccepted: 0, messagesRejected: 1, recipientsRejected: 0 },
});
export const rejected = (sessionId: string, at: string) => messageRejected({
  sessionId, mailFrom: 'spam@example.org', rcptTo: ['a@example.net'], sizeBytes: 10, reply: reply(554, '5.7.1'), reason: 'policy', at,
});
