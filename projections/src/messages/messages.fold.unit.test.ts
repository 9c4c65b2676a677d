import {
  messageCancelled, messageExpired, messageHeld, messageReleased, recipientBounced, recipientDeferred,
  recipientDelivered, sessionStarted,
} from '@elemta/domain';
import { describe, expect, it } from 'vitest';
import { foldSpec } from '../testing/fold-spec.js';
import { accepted, newId, queued, recorded, reply } from '../testing/message-fixtures.js';
import { evolveMessageRow, messageStatusOf, type MessageRow } from './messages.fold.js';
import { foldMessageRows } from './messages.projection.js';

const given = foldSpec<MessageRow>(evolveMessageRow);
const id = newId();
const at = '2026-01-01T10:05:00.000Z';
const rcpts = ['bob@example.net', 'Carol@Other.TEST'];
const acceptedBoth = () => recorded(accepted(id, { rcptTo: rcpts }), { recordedAt: '2026-01-01T10:00:00.100Z' });
const delivered = (recipient: string) =>
  recorded(recipientDelivered({ messageId: id, recipient, attemptId: 'a1', reply: reply(250, '2.0.0'), at }), { recordedAt: at });
const deferred = (recipient: string) => recorded(recipientDeferred({
  messageId: id, recipient, attemptId: 'a1', reply: reply(451, '4.3.0', 'try later'), attempt: 1, nextAttemptAt: at, at,
}), { recordedAt: at });
const bounced = (recipient: string) => recorded(recipientBounced({
  messageId: id, recipient, attemptId: 'a1', reply: reply(550, '5.1.1', 'no such user'), reason: 'rejected', at,
}), { recordedAt: at });
const admin = { messageId: id, actor: 'api-key:k1', reason: 'check', at };
const statuses = (row: MessageRow | null) => [row?.status, row?.recipients.map((r) => r.status)];

describe('messages fold', () => {
  it('creates a queued row with the envelope, headers and client from MessageAccepted', () =>
    given([]).when(acceptedBoth()).then((row) => expect(row).toEqual({
      id, status: 'queued', mailFrom: 'alice@sender.test',
      recipients: [
        { address: 'bob@example.net', domain: 'example.net', status: 'queued', route: null, zone: null },
        { address: 'Carol@Other.TEST', domain: 'other.test', status: 'queued', route: null, zone: null },
      ],
      subject: 'Hello', fromHeader: 'Alice <alice@sender.test>', messageIdHeader: `<${id}@sender.test>`,
      sizeBytes: 1234, bodySha256: 'a'.repeat(64), receivedAt: '2026-01-01T10:00:00.000Z',
      updatedAt: '2026-01-01T10:00:00.100Z', listener: 'inbound', clientAddress: '127.0.0.1', authUser: null,
      sessionId: 'session-1', submittedBy: 'smtp:127.0.0.1',
    })));

  it("records who submitted the message from MessageAccepted's actor, and keeps it through later events", () => {
    const viaApi = acceptedBoth();
    const byKey = { ...viaApi, metadata: { ...viaApi.metadata, actor: 'api-key:0123456789abcdef' } };
    return given([byKey]).when(delivered('bob@example.net')).then((row) => expect(row?.submittedBy).toBe('api-key:0123456789abcdef'));
  });

  it('records route and zone per recipient from MessageQueued', () =>
    given([acceptedBoth()]).when(recorded(queued(id, rcpts, 'bulk'))).then((row) =>
      expect(row?.recipients.map((r) => [r.route, r.zone])).toEqual([['relay', 'bulk'], ['relay', 'bulk']])));

  it('is delivered once every recipient is delivered, and takes updatedAt from the event', () =>
    given([acceptedBoth(), delivered('bob@example.net')]).when(delivered('Carol@Other.TEST')).then((row) => {
      expect(statuses(row)).toEqual(['delivered', ['delivered', 'delivered']]);
      expect(row?.updatedAt).toBe(at);
    }));

  it('stays queued while one recipient is delivered and another pending', () =>
    given([acceptedBoth()]).when(delivered('bob@example.net')).then((row) =>
      expect(statuses(row)).toEqual(['queued', ['delivered', 'queued']])));

  it('is deferred while a pending recipient was deferred', () =>
    given([acceptedBoth()]).when(deferred('Carol@Other.TEST')).then((row) =>
      expect(statuses(row)).toEqual(['deferred', ['queued', 'deferred']])));

  it('matches a recipient case-insensitively when the spelling differs', () =>
    given([acceptedBoth()]).when(bounced('carol@other.test')).then((row) =>
      expect(statuses(row)).toEqual(['queued', ['queued', 'bounced']])));

  it('is partial when recipients end differently', () =>
    given([acceptedBoth(), delivered('bob@example.net')]).when(bounced('Carol@Other.TEST')).then((row) =>
      expect(statuses(row)).toEqual(['partial', ['delivered', 'bounced']])));

  it('holds pending recipients and releases them to queued', () => {
    given([acceptedBoth(), delivered('bob@example.net')]).when(recorded(messageHeld(admin))).then((row) =>
      expect(statuses(row)).toEqual(['held', ['delivered', 'held']]));
    given([acceptedBoth(), recorded(messageHeld(admin))]).when(recorded(messageReleased(admin))).then((row) =>
      expect(statuses(row)).toEqual(['queued', ['queued', 'queued']]));
  });

  it('cancels only the pending recipients', () =>
    given([acceptedBoth(), delivered('bob@example.net')]).when(recorded(messageCancelled(admin))).then((row) =>
      expect(statuses(row)).toEqual(['partial', ['delivered', 'cancelled']])));

  it('expires the listed recipients', () =>
    given([acceptedBoth(), deferred('bob@example.net'), deferred('Carol@Other.TEST')])
      .when(recorded(messageExpired({ messageId: id, recipients: rcpts, queueAgeSeconds: 432000, at })))
      .then((row) => expect(statuses(row)).toEqual(['expired', ['expired', 'expired']])));

  it('never changes a final recipient status', () =>
    given([acceptedBoth(), bounced('bob@example.net')]).when(delivered('bob@example.net')).then((row) =>
      expect(statuses(row)).toEqual(['queued', ['bounced', 'queued']])));

  it('ignores events that arrive before MessageAccepted', () =>
    given([]).when(delivered('bob@example.net')).then((row) => expect(row).toBeNull()));

  it('ignores a second MessageAccepted and events of other types', () => {
    given([acceptedBoth()]).when(recorded(accepted(id, { subject: 'other' }))).thenUnchanged();
    given([acceptedBoth()]).when(recorded(sessionStarted({
      sessionId: id, listener: 'inbound', client: { address: '127.0.0.1', port: 1, reverseDns: null, helo: null },
      localAddress: '127.0.0.1', localPort: 2525, tls: null, startedAt: at,
    }))).thenUnchanged();
  });

  it('ignores messages whose id is not a UUID rather than failing the batch', () =>
    given([]).when(recorded(accepted('not-a-uuid'), { stream: 'message-x' })).then((row) => expect(row).toBeNull()));
});

describe('message status', () => {
  const r = (status: MessageRow['recipients'][number]['status']) => ({ address: 'a@b', domain: 'b', status, route: null, zone: null });
  it('prefers held over deferred over queued while any recipient is pending', () => {
    expect(messageStatusOf([r('deferred'), r('held'), r('delivered')])).toBe('held');
    expect(messageStatusOf([r('queued'), r('deferred')])).toBe('deferred');
    expect(messageStatusOf([r('queued'), r('bounced')])).toBe('queued');
  });
  it('is the common final status, else partial', () => {
    expect(messageStatusOf([r('cancelled'), r('cancelled')])).toBe('cancelled');
    expect(messageStatusOf([r('expired'), r('delivered')])).toBe('partial');
  });
});

describe('batch fold', () => {
  it('folds a batch over loaded rows and returns only the rows it changed', () => {
    const other = newId();
    const loaded = new Map([[id, evolveMessageRow(null, acceptedBoth())!]]);
    const changed = foldMessageRows(loaded, [
      recorded(accepted(other)), delivered('bob@example.net'), recorded(queued(other, ['bob@example.net'])),
    ]);
    expect([...changed.keys()].sort()).toEqual([id, other].sort());
    expect(changed.get(id)?.recipients[0]?.status).toBe('delivered');
    expect(changed.get(other)?.recipients[0]?.zone).toBe('default');
  });

  it('returns nothing for a batch of events the view ignores', () =>
    expect(foldMessageRows(new Map(), [delivered('bob@example.net')]).size).toBe(0));
});
