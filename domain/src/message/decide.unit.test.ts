import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.js';
import { messageAccepted, messageCancelled, messageQueued, recipientDelivered, recipientBounced } from '../events/message-events.js';
import { deciderSpec } from '../testing/decider-spec.js';
import { acceptCommand, acceptedAt, acceptedEvents } from '../testing/message-fixtures.js';
import { messageDecider } from './index.js';

const given = deciderSpec(messageDecider, {
  equal: (a, e) => expect(a).toEqual(e),
  throws: (fn, e) => expect(fn).toThrow(e as never),
});

const now = acceptedAt;

describe('message decider: acceptance', () => {
  it('accepts a new message and queues each recipient with its route', () =>
    given([]).when(acceptCommand(['bob@example.net', 'carol@local.test'])).then(acceptedEvents(['bob@example.net', 'carol@local.test'])));

  it('routes recipients by domain, falling back to the default route', () => {
    const [, queued] = messageDecider.decide(acceptCommand(['bob@example.net', 'carol@LOCAL.test']), messageDecider.initialState);
    expect(queued?.type === 'MessageQueued' && queued.data.recipients.map((r) => [r.domain, r.route])).toEqual([
      ['example.net', 'capture'],
      ['local.test', 'maildir'],
    ]);
  });

  it('does nothing when the message was already accepted (a client retry after a lost 250)', () =>
    given(acceptedEvents(['bob@example.net'])).when(acceptCommand(['bob@example.net'])).thenNothingHappened());

  it('refuses a message without recipients', () =>
    given([]).when(acceptCommand([], { recipients: [] })).thenThrows(DomainError));

  it('refuses a recipient listed twice', () =>
    given([]).when(acceptCommand(['bob@example.net', 'BOB@example.net'])).thenThrows(/twice/));

  it('refuses recipients that were not routed', () =>
    given([]).when(acceptCommand(['bob@example.net'], { recipients: [] })).thenThrows(/without a route/));

  it('refuses a negative size', () =>
    given([]).when(acceptCommand(['bob@example.net'], { sizeBytes: -1 })).thenThrows(/size/));
});

describe('message state', () => {
  const id = '0190f3c2-0000-7000-8000-000000000001';
  const reply = { code: 250, enhancedCode: '2.0.0', text: 'ok', command: 'DATA' };

  it('is queued with every recipient pending after acceptance', () =>
    given(acceptedEvents(['a@x.test', 'b@y.test'])).thenState({
      status: 'Queued', messageId: id, mailFrom: 'alice@example.org', isDsn: false, acceptedAt: now, held: false, cancelled: false,
      attemptIds: [],
      recipients: {
        'a@x.test': { status: 'pending', domain: 'x.test', route: 'capture', zone: 'default', priority: 'normal', attempts: 0, nextAttemptAt: now },
        'b@y.test': { status: 'pending', domain: 'y.test', route: 'capture', zone: 'default', priority: 'normal', attempts: 0, nextAttemptAt: now },
      },
    }));

  it('finishes when the last recipient is settled', () =>
    given([
      ...acceptedEvents(['a@x.test', 'b@y.test']),
      recipientDelivered({ messageId: id, recipient: 'a@x.test', attemptId: 't1', reply, at: now }),
      recipientBounced({ messageId: id, recipient: 'b@y.test', attemptId: 't1', reply: { ...reply, code: 550, enhancedCode: '5.1.1' }, reason: 'no such user', at: now }),
    ]).thenState(expect.objectContaining({ status: 'Finished', messageId: id })));

  it('finishes when cancelled', () =>
    given([...acceptedEvents(['a@x.test']), messageCancelled({ messageId: id, actor: 'api-key:k1', reason: 'spam', at: now })])
      .thenState(expect.objectContaining({ status: 'Finished', messageId: id, cancelled: true })));

  it('ignores events that do not apply', () =>
    given([recipientDelivered({ messageId: id, recipient: 'a@x.test', attemptId: 't1', reply, at: now })])
      .thenState({ status: 'New' }));
});
