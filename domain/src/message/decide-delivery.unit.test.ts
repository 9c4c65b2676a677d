import { describe, expect, it } from 'vitest';
import { fold } from '../decider.js';
import {
  bounceQueued, messageExpired, messageHeld, recipientBounced, recipientDeferred, recipientDelivered, retryRequested,
  retryScheduled, type MessageEvent,
} from '../events/message-events.js';
import { deciderSpec } from '../testing/decider-spec.js';
import {
  acceptedEvents, after, attemptCommand, attemptedEvent, bounced, deferralEvents, deferred, delivered, dsnMessageId,
  acceptedAt, expireCommand, messageId, replies,
} from '../testing/message-fixtures.js';
import { dueRecipients, messageDecider, type KnownMessageState } from './index.js';

const given = deciderSpec(messageDecider, {
  equal: (a, e) => expect(a).toEqual(e),
  throws: (fn, e) => expect(fn).toThrow(e as never),
});
/** A DomainError with this typed code (not just any error of the class). */
const domainError = (code: string) => expect.objectContaining({ name: 'DomainError', code });

const bob = 'bob@example.net';
const carol = 'carol@example.net';
const dave = 'dave@local.test';

describe('message decider: recording delivery attempts', () => {
  it('delivers a recipient on a 250', () =>
    given(acceptedEvents([bob])).when(attemptCommand([delivered(bob)])).then([
      attemptedEvent({ recipients: [bob], outcome: 'delivered', reply: replies.ok, at: after(60) }),
      recipientDelivered({ messageId, recipient: bob, attemptId: 'attempt-1', reply: replies.ok, at: after(60) }),
    ]));

  it('bounces a recipient on a permanent 5xx and queues a DSN to the sender', () =>
    given(acceptedEvents([bob])).when(attemptCommand([bounced(bob)])).then([
      attemptedEvent({ recipients: [bob], outcome: 'bounced', reply: replies.userUnknown, at: after(60) }),
      recipientBounced({ messageId, recipient: bob, attemptId: 'attempt-1', reply: replies.userUnknown, reason: 'User unknown', at: after(60) }),
      bounceQueued({ messageId, dsnMessageId, recipients: [bob], at: after(60) }),
    ]));

  it('never bounces a message from the null sender', () =>
    given(acceptedEvents([bob], { envelope: { mailFrom: '', rcptTo: [bob], params: {} } }))
      .when(attemptCommand([bounced(bob)])).then([
        attemptedEvent({ recipients: [bob], outcome: 'bounced', reply: replies.userUnknown, at: after(60) }),
        recipientBounced({ messageId, recipient: bob, attemptId: 'attempt-1', reply: replies.userUnknown, reason: 'User unknown', at: after(60) }),
      ]));

  it('never bounces a DSN, whatever its sender', () =>
    given(acceptedEvents([bob], { annotations: { 'elemta.dsnFor': '0190f3c2-0000-7000-8000-0000000000ff' } }))
      .when(attemptCommand([bounced(bob)])).then([
        attemptedEvent({ recipients: [bob], outcome: 'bounced', reply: replies.userUnknown, at: after(60) }),
        recipientBounced({ messageId, recipient: bob, attemptId: 'attempt-1', reply: replies.userUnknown, reason: 'User unknown', at: after(60) }),
      ]));

  it('defers on a 4xx and schedules the next attempt by the retry policy and the given jitter', () =>
    // jitter 0.75 with a ratio of 0.1 scales the 300 s delay by 1.05
    given(acceptedEvents([bob])).when(attemptCommand([deferred(bob)], { jitter: 0.75 })).then([
      attemptedEvent({ recipients: [bob], outcome: 'deferred', reply: replies.tempFail, at: after(60) }),
      recipientDeferred({ messageId, recipient: bob, attemptId: 'attempt-1', reply: replies.tempFail, attempt: 1, nextAttemptAt: after(60 + 315), at: after(60) }),
      retryScheduled({ messageId, recipients: [bob], attempt: 1, at: after(60 + 315) }),
    ]));

  it('waits longer after each deferral: initial delay, ×multiplier, ×multiplier²', () => {
    const first = deferralEvents({ attemptId: 'a1', recipient: bob, attempt: 1, at: after(0), nextAttemptAt: after(300) });
    const second = deferralEvents({ attemptId: 'a2', recipient: bob, attempt: 2, at: after(300), nextAttemptAt: after(900) });
    const third = deferralEvents({ attemptId: 'a3', recipient: bob, attempt: 3, at: after(900), nextAttemptAt: after(2100) });
    given(acceptedEvents([bob])).when(attemptCommand([deferred(bob)], { attemptId: 'a1', now: after(0) })).then(first);
    given([...acceptedEvents([bob]), ...first]).when(attemptCommand([deferred(bob)], { attemptId: 'a2', now: after(300) })).then(second);
    given([...acceptedEvents([bob]), ...first, ...second])
      .when(attemptCommand([deferred(bob)], { attemptId: 'a3', now: after(900) })).then(third);
  });

  it('caps the retry interval at maxDelaySeconds', () => {
    // after 5 failures the plain delay would be 300 × 2⁴ = 4800 s; the policy allows at most 3600 s
    const history = [1, 2, 3, 4].flatMap((n) =>
      deferralEvents({ attemptId: `a${n}`, recipient: bob, attempt: n, at: after(n * 1000), nextAttemptAt: after(n * 1000 + 1) }));
    given([...acceptedEvents([bob]), ...history]).when(attemptCommand([deferred(bob)], { attemptId: 'a5', now: after(10_000) })).then(
      deferralEvents({ attemptId: 'a5', recipient: bob, attempt: 5, at: after(10_000), nextAttemptAt: after(13_600) }));
  });

  it('reports a mixed attempt as partial, with one event per recipient', () =>
    given(acceptedEvents([bob, carol, dave])).when(attemptCommand([delivered(bob), bounced(carol), deferred(dave)])).then([
      attemptedEvent({ recipients: [bob, carol, dave], outcome: 'partial', reply: replies.userUnknown, at: after(60) }),
      recipientDelivered({ messageId, recipient: bob, attemptId: 'attempt-1', reply: replies.ok, at: after(60) }),
      recipientBounced({ messageId, recipient: carol, attemptId: 'attempt-1', reply: replies.userUnknown, reason: 'User unknown', at: after(60) }),
      recipientDeferred({ messageId, recipient: dave, attemptId: 'attempt-1', reply: replies.tempFail, attempt: 1, nextAttemptAt: after(360), at: after(60) }),
      retryScheduled({ messageId, recipients: [dave], attempt: 1, at: after(360) }),
      bounceQueued({ messageId, dsnMessageId, recipients: [carol], at: after(60) }),
    ]));

  it('expires a recipient instead of deferring it when a 4xx comes at the expiry time', () =>
    given(acceptedEvents([bob])).when(attemptCommand([deferred(bob)], { now: after(86_400) })).then([
      attemptedEvent({ recipients: [bob], outcome: 'deferred', reply: replies.tempFail, at: after(86_400) }),
      messageExpired({ messageId, recipients: [bob], queueAgeSeconds: 86_400, at: after(86_400) }),
      bounceQueued({ messageId, dsnMessageId, recipients: [bob], at: after(86_400) }),
    ]));

  it('never schedules the next attempt past the expiry time', () =>
    given(acceptedEvents([bob])).when(attemptCommand([deferred(bob)], { now: after(86_300) })).then([
      attemptedEvent({ recipients: [bob], outcome: 'deferred', reply: replies.tempFail, at: after(86_300) }),
      recipientDeferred({ messageId, recipient: bob, attemptId: 'attempt-1', reply: replies.tempFail, attempt: 1, nextAttemptAt: after(86_400), at: after(86_300) }),
      retryScheduled({ messageId, recipients: [bob], attempt: 1, at: after(86_400) }),
    ]));

  it('does nothing when the same attempt is recorded twice', () =>
    given([...acceptedEvents([bob, carol]), ...deferralEvents({ attemptId: 'attempt-1', recipient: bob, attempt: 1, at: after(60), nextAttemptAt: after(360) })])
      .when(attemptCommand([deferred(bob)])).thenNothingHappened());

  it('refuses an outcome for a recipient the message does not have', () =>
    given(acceptedEvents([bob])).when(attemptCommand([delivered('mallory@example.net')])).thenThrows(domainError('UNKNOWN_RECIPIENT')));

  it('refuses an outcome for a recipient that was already delivered', () =>
    given([...acceptedEvents([bob, carol]), recipientDelivered({ messageId, recipient: bob, attemptId: 'a0', reply: replies.ok, at: after(10) })])
      .when(attemptCommand([delivered(bob)])).thenThrows(domainError('RECIPIENT_NOT_PENDING')));

  it('refuses an attempt that lists a recipient twice', () =>
    given(acceptedEvents([bob])).when(attemptCommand([delivered(bob), deferred(bob)])).thenThrows(domainError('DUPLICATE_RECIPIENT')));

  it('refuses an attempt without outcomes', () =>
    given(acceptedEvents([bob])).when(attemptCommand([])).thenThrows(domainError('NO_OUTCOMES')));

  it('refuses an attempt for a message that does not exist', () =>
    given([]).when(attemptCommand([delivered(bob)])).thenThrows(domainError('MESSAGE_NOT_FOUND')));
});

describe('message decider: expiry', () => {
  it('refuses to expire a message before its maximum queue time', () =>
    given(acceptedEvents([bob])).when(expireCommand(after(86_399))).thenThrows(domainError('NOT_EXPIRED')));

  it('expires the pending recipients after the maximum queue time and queues a DSN', () =>
    given([...acceptedEvents([bob, carol]), recipientDelivered({ messageId, recipient: bob, attemptId: 'a1', reply: replies.ok, at: after(10) })])
      .when(expireCommand(after(90_000))).then([
        messageExpired({ messageId, recipients: [carol], queueAgeSeconds: 90_000, at: after(90_000) }),
        bounceQueued({ messageId, dsnMessageId, recipients: [carol], at: after(90_000) }),
      ]));

  it('does not expire a held message', () =>
    given([...acceptedEvents([bob]), messageHeld({ messageId, actor: 'api-key:ops', reason: 'look', at: after(10) })])
      .when(expireCommand(after(90_000))).thenThrows(domainError('MESSAGE_HELD')));

  it('does nothing for a finished message', () =>
    given([...acceptedEvents([bob]), recipientDelivered({ messageId, recipient: bob, attemptId: 'a1', reply: replies.ok, at: after(10) })])
      .when(expireCommand(after(90_000))).thenNothingHappened());

  it('refuses to expire a message that does not exist', () =>
    given([]).when(expireCommand(after(90_000))).thenThrows(domainError('MESSAGE_NOT_FOUND')));
});

describe('message state: delivery', () => {
  const stateOf = (events: readonly MessageEvent[]) => fold(messageDecider, events) as KnownMessageState;

  it('makes every pending recipient due at acceptance', () =>
    expect(dueRecipients(stateOf(acceptedEvents([bob, carol])), acceptedAt)).toEqual([bob, carol]));

  it('leaves out recipients whose next attempt is in the future', () => {
    const state = stateOf([...acceptedEvents([bob, carol]), ...deferralEvents({ attemptId: 'a1', recipient: bob, attempt: 1, at: after(60), nextAttemptAt: after(360) })]);
    expect(dueRecipients(state, after(359))).toEqual([carol]);
    expect(dueRecipients(state, after(360))).toEqual([bob, carol]);
  });

  it('leaves out settled recipients', () =>
    expect(dueRecipients(stateOf([
      ...acceptedEvents([bob, carol, dave]),
      recipientDelivered({ messageId, recipient: bob, attemptId: 'a1', reply: replies.ok, at: after(10) }),
      recipientBounced({ messageId, recipient: carol, attemptId: 'a1', reply: replies.userUnknown, reason: 'User unknown', at: after(10) }),
    ]), after(20))).toEqual([dave]));

  it('has nothing due while the message is held', () =>
    expect(dueRecipients(stateOf([...acceptedEvents([bob]), messageHeld({ messageId, actor: 'api-key:ops', reason: 'look', at: after(10) })]), after(20))).toEqual([]));

  it('counts attempts and remembers attempt ids from DeliveryAttempted', () => {
    const state = stateOf([
      ...acceptedEvents([bob, carol]),
      ...deferralEvents({ attemptId: 'a1', recipient: bob, attempt: 1, at: after(60), nextAttemptAt: after(360) }),
      ...deferralEvents({ attemptId: 'a2', recipient: bob, attempt: 2, at: after(360), nextAttemptAt: after(960) }),
    ]);
    expect([state.recipients[bob]?.attempts, state.recipients[carol]?.attempts, state.attemptIds]).toEqual([2, 0, ['a1', 'a2']]);
  });

  it('makes pending recipients due at the time of a RetryRequested', () => {
    const state = stateOf([
      ...acceptedEvents([bob]),
      ...deferralEvents({ attemptId: 'a1', recipient: bob, attempt: 1, at: after(60), nextAttemptAt: after(3600) }),
      retryRequested({ messageId, actor: 'api-key:ops', reason: 'peer fixed', at: after(120) }),
    ]);
    expect([state.recipients[bob]?.nextAttemptAt, dueRecipients(state, after(120))]).toEqual([after(120), [bob]]);
  });

  it('finishes once every recipient is delivered, bounced or expired', () => {
    const events = [
      ...acceptedEvents([bob, carol, dave]),
      recipientDelivered({ messageId, recipient: bob, attemptId: 'a1', reply: replies.ok, at: after(10) }),
      recipientBounced({ messageId, recipient: carol, attemptId: 'a1', reply: replies.userUnknown, reason: 'User unknown', at: after(10) }),
    ];
    expect(stateOf(events).status).toBe('Queued');
    const done = stateOf([...events, messageExpired({ messageId, recipients: [dave], queueAgeSeconds: 86_400, at: after(86_400) })]);
    expect([done.status, done.recipients[bob]?.status, done.recipients[carol]?.status, done.recipients[dave]?.status])
      .toEqual(['Finished', 'delivered', 'bounced', 'expired']);
  });
});
