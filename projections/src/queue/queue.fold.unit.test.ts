import { messageCancelled, messageExpired, messageHeld, messageReleased, retryRequested, sessionStarted } from '@elemta/domain';
import { describe, expect, it } from 'vitest';
import { foldSpec } from '../testing/fold-spec.js';
import { newId, recorded, reply } from '../testing/message-fixtures.js';
import { evolveQueueMessage, foldQueueBatch, type QueueMessage, type QueueState } from './queue.fold.js';
import { queueBatchKeys } from './queue.projection.js';
import {
  acceptedFor, admin, attempted, bouncedTo, bounceFor, deferredTo, deliveredTo, FUTURE, PAST, queuedFor, retryAt,
} from './testing/queue-fixtures.js';

const given = foldSpec<QueueMessage>(evolveQueueMessage);
const id = newId();
const rcpts = ['bob@example.net', { address: 'Carol@Other.TEST', zone: 'bulk', priority: 'high' as const, notBefore: FUTURE }];
const acc = () => recorded(acceptedFor(id, rcpts, { mailFrom: '' }));
const que = () => recorded(queuedFor(id, rcpts));
const routed = () => [acc(), que()];
const rows = (m: QueueMessage | null) => m?.rows.map((r) => [r.recipient, r.status, r.attempts, r.nextAttemptAt]);
const later = '2026-03-01T00:00:00.000Z';

describe('queue fold', () => {
  it('keeps the envelope sender from MessageAccepted and adds no row until MessageQueued', () =>
    given([]).when(acc()).then((m) => expect(m).toEqual({ messageId: id, mailFrom: '', acceptedAt: '2026-01-01T10:00:00.000Z', routed: false, rows: [] })));

  it('adds one queued row per recipient from MessageQueued, due at notBefore', () => {
    const queued = que();
    given([acc()]).when(queued).then((m) => {
      expect(m?.rows[1]).toEqual({
        messageId: id, recipient: 'Carol@Other.TEST', domain: 'other.test', route: 'relay', zone: 'bulk', priority: 'high',
        status: 'queued', mailFrom: '', acceptedAt: '2026-01-01T10:00:00.000Z', nextAttemptAt: FUTURE, attempts: 0,
        lastAttemptAt: null, lastReply: null, updatedPosition: queued.metadata.position,
      });
      expect(rows(m)).toEqual([['bob@example.net', 'queued', 0, PAST], ['Carol@Other.TEST', 'queued', 0, FUTURE]]);
    });
  });

  it('records attempts, next attempt and reply when a recipient is deferred', () =>
    given(routed()).when(recorded(deferredTo(id, 'bob@example.net', 2, later))).then((m) => {
      expect(rows(m)?.[0]).toEqual(['bob@example.net', 'deferred', 2, later]);
      expect(m?.rows[0]).toMatchObject({ lastReply: reply(451, '4.3.0', 'try later'), lastAttemptAt: '2026-01-02T00:00:00.000Z' });
    }));

  it('records the last attempt time from DeliveryAttempted', () =>
    given(routed()).when(recorded(attempted(id, ['Carol@Other.TEST'], later))).then((m) =>
      expect(m?.rows.map((r) => r.lastAttemptAt)).toEqual([null, later])));

  it('removes a delivered or bounced recipient, and the message once none is pending', () => {
    given(routed()).when(recorded(deliveredTo(id, 'bob@example.net'))).then((m) => expect(rows(m)).toEqual([['Carol@Other.TEST', 'queued', 0, FUTURE]]));
    given([...routed(), recorded(deliveredTo(id, 'bob@example.net'))]).when(recorded(bouncedTo(id, 'Carol@Other.TEST'))).then((m) => expect(m).toBeNull());
  });

  it('removes the recipients a MessageExpired lists', () =>
    given(routed()).when(recorded(messageExpired({ messageId: id, recipients: ['Carol@Other.TEST'], queueAgeSeconds: 9, at: later })))
      .then((m) => expect(rows(m)).toEqual([['bob@example.net', 'queued', 0, PAST]])));

  it('removes every pending recipient on MessageCancelled', () =>
    given(routed()).when(recorded(messageCancelled(admin(id)))).then((m) => expect(m).toBeNull()));

  it('holds pending rows, and a deferral while held keeps them held', () => {
    given(routed()).when(recorded(messageHeld(admin(id)))).then((m) => expect(m?.rows.map((r) => r.status)).toEqual(['held', 'held']));
    given([...routed(), recorded(messageHeld(admin(id)))]).when(recorded(deferredTo(id, 'bob@example.net', 1, later)))
      .then((m) => expect(rows(m)?.[0]).toEqual(['bob@example.net', 'held', 1, later]));
  });

  it('releases to deferred after an attempt, else to queued, keeping the next attempt time', () =>
    given([...routed(), recorded(deferredTo(id, 'bob@example.net', 1, later)), recorded(messageHeld(admin(id)))])
      .when(recorded(messageReleased(admin(id))))
      .then((m) => expect(rows(m)).toEqual([['bob@example.net', 'deferred', 1, later], ['Carol@Other.TEST', 'queued', 0, FUTURE]])));

  it('makes every non-held row due at once on RetryRequested', () => {
    given(routed()).when(recorded(retryRequested(admin(id, later)))).then((m) => expect(m?.rows.map((r) => r.nextAttemptAt)).toEqual([later, later]));
    given([...routed(), recorded(messageHeld(admin(id)))]).when(recorded(retryRequested(admin(id, later)))).thenUnchanged();
  });

  it('moves the listed rows to the time RetryScheduled names', () =>
    given(routed()).when(recorded(retryAt(id, ['bob@example.net'], later))).then((m) =>
      expect(m?.rows.map((r) => r.nextAttemptAt)).toEqual([later, FUTURE])));

  it('matches recipients exactly as written', () =>
    given(routed()).when(recorded(deliveredTo(id, 'carol@other.test'))).thenUnchanged());

  it('ignores events before MessageAccepted, after the last recipient settled, and of other types', () => {
    given([]).when(que()).then((m) => expect(m).toBeNull());
    given([...routed(), recorded(messageCancelled(admin(id)))]).when(recorded(messageReleased(admin(id)))).then((m) => expect(m).toBeNull());
    given(routed()).when(recorded(que())).thenUnchanged();
    given(routed()).when(recorded(sessionStarted({
      sessionId: id, listener: 'inbound', client: { address: '127.0.0.1', port: 1, reverseDns: null, helo: null },
      localAddress: '127.0.0.1', localPort: 2525, tls: null, startedAt: later,
    }))).thenUnchanged();
  });

  it('ignores messages whose id is not a UUID', () =>
    given([]).when(recorded(acceptedFor('nope', ['a@b.test']), { stream: 'message-x' })).then((m) => expect(m).toBeNull()));
});

const empty: QueueState = { messages: new Map(), dsns: new Map() };
const dsnId = newId();
const bounce = () => recorded(bounceFor(id, dsnId, ['bob@example.net']));
const dsnAccepted = () => recorded(acceptedFor(dsnId, ['alice@sender.test'], { mailFrom: '', dsnFor: id }));
const dsnQueued = () => recorded(queuedFor(dsnId, ['alice@sender.test']));

describe('queue batch fold', () => {
  it('records a DSN from BounceQueued until the DSN message is accepted, in a later batch', () => {
    const first = foldQueueBatch(empty, [...routed(), bounce()]);
    expect(first.dsns.get(dsnId)).toEqual({ dsnMessageId: dsnId, messageId: id, recipients: ['bob@example.net'], queuedAt: '2026-01-02T00:00:00.000Z' });
    const loaded: QueueState = { messages: new Map(), dsns: new Map([[dsnId, first.dsns.get(dsnId)!]]) };
    expect(foldQueueBatch(loaded, [dsnAccepted(), dsnQueued()]).dsns.get(dsnId)).toBeNull();
  });

  it('ends with no DSN row when both events are in one batch, in either order', () => {
    expect(foldQueueBatch(empty, [bounce(), dsnAccepted(), dsnQueued()]).dsns.get(dsnId) ?? null).toBeNull();
    expect(foldQueueBatch(empty, [dsnAccepted(), dsnQueued(), bounce()]).dsns.get(dsnId) ?? null).toBeNull();
  });

  it('adds no DSN row when the DSN message was queued in an earlier batch', () => {
    const dsn = foldQueueBatch(empty, [dsnAccepted(), dsnQueued()]).messages.get(dsnId)!;
    expect(foldQueueBatch({ messages: new Map([[dsnId, dsn]]), dsns: new Map() }, [bounce()]).dsns.size).toBe(0);
  });

  it('returns only the messages a batch changed, keeping untouched rows as they were', () => {
    const other = newId();
    const before = foldQueueBatch(empty, routed()).messages.get(id)!;
    const changes = foldQueueBatch({ messages: new Map([[id, before]]), dsns: new Map() }, [
      recorded(deferredTo(id, 'bob@example.net')), ...[acceptedFor(other, ['x@y.test']), queuedFor(other, ['x@y.test'])].map((e) => recorded(e)),
      recorded(deliveredTo(newId(), 'x@y.test')),
    ]);
    expect([...changes.messages.keys()].sort()).toEqual([id, other].sort());
    expect(changes.messages.get(id)?.rows[1]).toBe(before.rows[1]);
    expect(changes.messages.get(id)?.rows[0]).not.toBe(before.rows[0]);
  });

  it('loads a message header only when its MessageQueued comes without its MessageAccepted', () => {
    expect(queueBatchKeys(routed()).unrouted).toEqual([]);
    expect(queueBatchKeys([que()]).unrouted).toEqual([id]);
    expect(queueBatchKeys([bounce()])).toEqual({ messageIds: [id, dsnId], unrouted: [dsnId], dsnIds: [dsnId] });
  });
});
