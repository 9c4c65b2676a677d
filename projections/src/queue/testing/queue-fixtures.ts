import {
  bounceQueued, deliveryAttempted, messageAccepted, messageQueued, recipientBounced, recipientDeferred, recipientDelivered,
  retryScheduled, type MessageAccepted, type Priority,
} from '@elemta/domain';
import { accepted, reply } from '../../testing/message-fixtures.js';

export const PAST = '2026-01-01T10:00:00.000Z';
export const FUTURE = '2099-01-01T00:00:00.000Z';

export type Rcpt = Readonly<{ address: string; zone?: string; priority?: Priority; notBefore?: string; route?: string }>;
const rcpt = (r: string | Rcpt): Rcpt => (typeof r === 'string' ? { address: r } : r);

/** `MessageAccepted` for these recipients, optionally a DSN for `dsnFor`. */
export const acceptedFor = (id: string, rcpts: readonly (string | Rcpt)[], o: { mailFrom?: string; acceptedAt?: string; dsnFor?: string } = {}): MessageAccepted => {
  const base = accepted(id, {
    rcptTo: rcpts.map((r) => rcpt(r).address),
    ...(o.mailFrom !== undefined ? { mailFrom: o.mailFrom } : {}),
    ...(o.acceptedAt !== undefined ? { acceptedAt: o.acceptedAt } : {}),
  });
  return messageAccepted({ ...base.data, annotations: o.dsnFor ? { 'elemta.dsnFor': o.dsnFor } : {} });
};

/** `MessageQueued` with per-recipient zone, priority and notBefore (defaults: `default`, `normal`, in the past). */
export const queuedFor = (id: string, rcpts: readonly (string | Rcpt)[]) => messageQueued({
  messageId: id,
  recipients: rcpts.map(rcpt).map((r) => ({
    address: r.address, domain: r.address.slice(r.address.lastIndexOf('@') + 1).toLowerCase(), route: r.route ?? 'relay',
    zone: r.zone ?? 'default', priority: r.priority ?? 'normal', notBefore: r.notBefore ?? PAST,
  })),
  queuedAt: PAST,
});

/** Both events of an acceptance, as one append carries them. */
export const acceptAndQueue = (id: string, rcpts: readonly (string | Rcpt)[], o: Parameters<typeof acceptedFor>[2] = {}) =>
  [acceptedFor(id, rcpts, o), queuedFor(id, rcpts)];

const at = '2026-01-02T00:00:00.000Z';
export const deliveredTo = (id: string, recipient: string) =>
  recipientDelivered({ messageId: id, recipient, attemptId: 'a1', reply: reply(250, '2.0.0'), at });
export const bouncedTo = (id: string, recipient: string) =>
  recipientBounced({ messageId: id, recipient, attemptId: 'a1', reply: reply(550, '5.1.1', 'no such user'), reason: 'rejected', at });
export const deferredTo = (id: string, recipient: string, attempt = 1, nextAttemptAt = FUTURE) => recipientDeferred({
  messageId: id, recipient, attemptId: `a${attempt}`, reply: reply(451, '4.3.0', 'try later'), attempt, nextAttemptAt, at,
});
export const attempted = (id: string, recipients: string[], when = at) => deliveryAttempted({
  messageId: id, attemptId: 'a1', recipients, zone: 'default', localAddress: null, mxHost: null, mxAddress: null, tls: null,
  reply: null, durationMs: 5, outcome: 'deferred', at: when,
});
export const retryAt = (id: string, recipients: string[], due: string) => retryScheduled({ messageId: id, recipients, attempt: 2, at: due });
export const bounceFor = (id: string, dsnMessageId: string, recipients: string[]) =>
  bounceQueued({ messageId: id, dsnMessageId, recipients, at });
export const admin = (messageId: string, when = at) => ({ messageId, actor: 'api-key:k1', reason: 'test', at: when });
