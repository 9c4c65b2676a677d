import { describe, expect, it } from 'vitest';
import { fold } from '../decider.js';
import {
  messageCancelled, messageHeld, messageReleased, recipientDelivered, retryRequested, type MessageEvent,
} from '../events/message-events.js';
import { deciderSpec } from '../testing/decider-spec.js';
import {
  acceptedEvents, adminCommand, after, attemptCommand, delivered, messageId, replies,
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
const admin = { messageId, actor: 'api-key:ops', reason: 'suspected spam' };

const held = messageHeld({ ...admin, at: after(10) });
const cancelled = messageCancelled({ ...admin, at: after(10) });
const bobDelivered = recipientDelivered({ messageId, recipient: bob, attemptId: 'a1', reply: replies.ok, at: after(5) });

describe('message decider: hold and release', () => {
  it('holds a queued message, recording who and why', () =>
    given(acceptedEvents([bob])).when(adminCommand('HoldMessage', after(30), { actor: 'user:jane', reason: 'check headers' }))
      .then([messageHeld({ messageId, actor: 'user:jane', reason: 'check headers', at: after(30) })]));

  it('does nothing when a held message is held again', () =>
    given([...acceptedEvents([bob]), held]).when(adminCommand('HoldMessage')).thenNothingHappened());

  it('refuses to hold a finished message', () =>
    given([...acceptedEvents([bob]), bobDelivered]).when(adminCommand('HoldMessage')).thenThrows(domainError('MESSAGE_FINISHED')));

  it('refuses to release a message that is not held', () =>
    given(acceptedEvents([bob])).when(adminCommand('ReleaseMessage')).thenThrows(domainError('MESSAGE_NOT_HELD')));

  it('releases a held message', () =>
    given([...acceptedEvents([bob]), held]).when(adminCommand('ReleaseMessage', after(30)))
      .then([messageReleased({ ...admin, at: after(30) })]));
});

describe('message decider: cancel', () => {
  it('cancels a queued message', () =>
    given(acceptedEvents([bob, carol])).when(adminCommand('CancelMessage', after(30)))
      .then([messageCancelled({ ...admin, at: after(30) })]));

  it('cancels a held message', () =>
    given([...acceptedEvents([bob]), held]).when(adminCommand('CancelMessage', after(30)))
      .then([messageCancelled({ ...admin, at: after(30) })]));

  it('rejects delivery attempts after a cancel', () =>
    given([...acceptedEvents([bob]), cancelled]).when(attemptCommand([delivered(bob)])).thenThrows(domainError('MESSAGE_CANCELLED')));

  it('refuses to cancel a finished message', () =>
    given([...acceptedEvents([bob]), bobDelivered]).when(adminCommand('CancelMessage')).thenThrows(domainError('MESSAGE_FINISHED')));

  it('refuses to cancel a cancelled message', () =>
    given([...acceptedEvents([bob]), cancelled]).when(adminCommand('CancelMessage')).thenThrows(domainError('MESSAGE_CANCELLED')));
});

describe('message decider: retry now', () => {
  it('requests a retry of a queued message', () =>
    given(acceptedEvents([bob])).when(adminCommand('RequestRetry', after(30)))
      .then([retryRequested({ ...admin, at: after(30) })]));

  it('refuses to retry a held message until it is released', () =>
    given([...acceptedEvents([bob]), held]).when(adminCommand('RequestRetry')).thenThrows(domainError('MESSAGE_HELD')));

  it('retries a message once it is released', () =>
    given([...acceptedEvents([bob]), held, messageReleased({ ...admin, at: after(20) })]).when(adminCommand('RequestRetry', after(30)))
      .then([retryRequested({ ...admin, at: after(30) })]));
});

describe('message decider: admin commands on an unknown message', () => {
  it.each(['HoldMessage', 'ReleaseMessage', 'CancelMessage', 'RequestRetry'] as const)('refuses %s', (type) =>
    given([]).when(adminCommand(type)).thenThrows(domainError('MESSAGE_NOT_FOUND')));
});

describe('message state: admin', () => {
  const stateOf = (events: readonly MessageEvent[]) => fold(messageDecider, events) as KnownMessageState;

  it('is held after MessageHeld and due again after MessageReleased', () => {
    const heldState = stateOf([...acceptedEvents([bob]), held]);
    const released = stateOf([...acceptedEvents([bob]), held, messageReleased({ ...admin, at: after(20) })]);
    expect([heldState.held, dueRecipients(heldState, after(20)), released.held, dueRecipients(released, after(20))])
      .toEqual([true, [], false, [bob]]);
  });

  it('settles pending recipients as cancelled and keeps delivered ones', () => {
    const state = stateOf([...acceptedEvents([bob, carol]), bobDelivered, cancelled]);
    expect([state.status, state.cancelled, state.recipients[bob]?.status, state.recipients[carol]?.status])
      .toEqual(['Finished', true, 'delivered', 'cancelled']);
  });
});
