import { DomainError } from '../errors.js';
import type { SmtpReply } from '../events/common.js';
import {
  bounceQueued, deliveryAttempted, messageExpired, recipientBounced, recipientDeferred, recipientDelivered, retryScheduled,
  type MessageEvent,
} from '../events/message-events.js';
import { nextAttemptAt } from '../policies/retry-schedule.js';
import type { AttemptOutcome, ExpireMessage, RecordDeliveryAttempt } from './commands.js';
import { expiresAt, pendingOf, type KnownMessageState, type MessageState } from './state.js';

const known = (messageId: string, state: MessageState): KnownMessageState => {
  if (state.status === 'New') throw new DomainError('MESSAGE_NOT_FOUND', `message ${messageId} does not exist`);
  return state;
};

/** Every outcome must be for a pending recipient: a cancelled message is never delivered, nothing is recorded twice. */
const checkOutcomes = (state: KnownMessageState, outcomes: readonly AttemptOutcome[]): void => {
  if (outcomes.length === 0) throw new DomainError('NO_OUTCOMES', 'a delivery attempt must report at least one recipient');
  const seen = new Set<string>();
  for (const { recipient } of outcomes) {
    const r = state.recipients[recipient];
    if (!r) throw new DomainError('UNKNOWN_RECIPIENT', `${recipient} is not a recipient of message ${state.messageId}`);
    if (seen.has(recipient)) throw new DomainError('DUPLICATE_RECIPIENT', `${recipient} appears twice in one attempt`);
    seen.add(recipient);
    if (r.status === 'cancelled') throw new DomainError('MESSAGE_CANCELLED', `message ${state.messageId} was cancelled`);
    if (r.status !== 'pending') throw new DomainError('RECIPIENT_NOT_PENDING', `${recipient} is already ${r.status}`);
  }
};

/** The reply that says most about the attempt: the first failure, else the last success. */
const significantReply = (outcomes: readonly AttemptOutcome[]): SmtpReply =>
  (outcomes.find((o) => o.status === 'bounced') ?? outcomes.find((o) => o.status === 'deferred') ?? outcomes.at(-1)!).reply;

const overall = (outcomes: readonly AttemptOutcome[]) => {
  const kinds = new Set(outcomes.map((o) => o.status));
  return kinds.size > 1 ? 'partial' as const : [...kinds][0]!;
};

/** A bounce or expiry is reported to the sender, except for the null sender and for DSNs (RFC 3461 §6.2, RFC 5321 §4.5.5). */
const bounceReport = (state: KnownMessageState, dsnMessageId: string, recipients: readonly string[], at: string): MessageEvent[] =>
  recipients.length === 0 || state.isDsn || state.mailFrom === ''
    ? []
    : [bounceQueued({ messageId: state.messageId, dsnMessageId, recipients: [...recipients], at })];

/**
 * Records one attempt: `DeliveryAttempted`, then per recipient `RecipientDelivered`, `RecipientBounced` (a 5xx) or
 * `RecipientDeferred` plus `RetryScheduled` (a 4xx, on the retry policy's schedule); a temporary failure at or after
 * the expiry time expires the recipient instead (`MessageExpired`). Bounced and expired recipients get one
 * `BounceQueued`. Recording the same attempt id twice is a no-op.
 */
export const recordAttempt = ({ data, metadata }: RecordDeliveryAttempt, state: MessageState): MessageEvent[] => {
  const s = known(data.messageId, state);
  if (s.attemptIds.includes(data.attemptId)) return [];
  checkOutcomes(s, data.outcomes);
  const at = metadata.now;
  const { messageId, attemptId } = data;
  const events: MessageEvent[] = [deliveryAttempted({
    messageId, attemptId, recipients: data.outcomes.map((o) => o.recipient), zone: data.zone, localAddress: data.localAddress,
    mxHost: data.mxHost, mxAddress: data.mxAddress, tls: data.tls, reply: significantReply(data.outcomes),
    durationMs: data.durationMs, outcome: overall(data.outcomes), at,
  })];
  const bounced: string[] = [];
  const expired: string[] = [];
  const retries = new Map<string, { attempt: number; at: string; recipients: string[] }>();
  for (const { recipient, status, reply } of data.outcomes) {
    if (status === 'delivered') {
      events.push(recipientDelivered({ messageId, recipient, attemptId, reply, at }));
    } else if (status === 'bounced') {
      bounced.push(recipient);
      events.push(recipientBounced({ messageId, recipient, attemptId, reply, reason: reply.text, at }));
    } else {
      const attempt = s.recipients[recipient]!.attempts + 1;
      const next = nextAttemptAt({ attempt, now: at, acceptedAt: s.acceptedAt, jitter: data.jitter }, data.retry);
      if (next === null) {
        expired.push(recipient);
        continue;
      }
      events.push(recipientDeferred({ messageId, recipient, attemptId, reply, attempt, nextAttemptAt: next, at }));
      const key = `${attempt} ${next}`;
      const group = retries.get(key) ?? { attempt, at: next, recipients: [] };
      group.recipients.push(recipient);
      retries.set(key, group);
    }
  }
  for (const group of retries.values()) events.push(retryScheduled({ messageId, ...group }));
  if (expired.length > 0) events.push(messageExpired({ messageId, recipients: expired, queueAgeSeconds: ageSeconds(s, at), at }));
  return [...events, ...bounceReport(s, data.dsnMessageId, [...bounced, ...expired], at)];
};

const ageSeconds = (state: KnownMessageState, now: string) => Math.max(0, (Date.parse(now) - Date.parse(state.acceptedAt)) / 1000);

/** Expires every pending recipient once the message has been queued for the maximum queue time; held mail waits. */
export const expire = ({ data, metadata }: ExpireMessage, state: MessageState): MessageEvent[] => {
  const s = known(data.messageId, state);
  if (s.status === 'Finished') return [];
  if (s.held) throw new DomainError('MESSAGE_HELD', `message ${data.messageId} is held`);
  if (Date.parse(metadata.now) < expiresAt(s, data.maxQueueSeconds)) {
    throw new DomainError('NOT_EXPIRED', `message ${data.messageId} has not reached its maximum queue time`);
  }
  const recipients = pendingOf(s);
  return [
    messageExpired({ messageId: data.messageId, recipients, queueAgeSeconds: ageSeconds(s, metadata.now), at: metadata.now }),
    ...bounceReport(s, data.dsnMessageId, recipients, metadata.now),
  ];
};
