import { deliveryAttempted, messageHeld } from '@elemta/domain';
import { describe, expect, it } from 'vitest';
import { foldSpec } from '../testing/fold-spec.js';
import { newId, recorded } from '../testing/message-fixtures.js';
import { bucketStartOf, evolveStats, statsBatchKeys, type StatsResolution, type StatsState } from './stats.fold.js';
import {
  acceptedOn, bounced, deferred, delivered, ended, expired, rejected, routedTo, started,
} from './testing/stats-fixtures.js';

const given = foldSpec<StatsState>(evolveStats);
const id = newId();
const at = (minute: number, second = 0) => `2026-03-01T10:${String(minute).padStart(2, '0')}:${String(second).padStart(2, '0')}.000Z`;
const rcpts = ['a@example.net', 'B@Other.test'];
const acc = () => recorded(acceptedOn(id, 'submission', at(1, 30), rcpts));
const routed = () => [acc(), recorded(routedTo(id, rcpts, 'bulk'))];

/** The non-zero increments of one resolution, as `dimension:key@bucket` → counts. */
const cells = (state: StatsState | null, resolution: StatsResolution = 'minute') => Object.fromEntries(
  [...(state?.cells.values() ?? [])].filter((c) => c.resolution === resolution).map((c) => [
    `${c.dimension}:${c.key}@${c.bucketStart.slice(11, 16)}`,
    Object.fromEntries(Object.entries(c.counts).filter(([, n]) => n !== 0)),
  ]));

describe('stats fold', () => {
  it('counts an accepted message as received under its listener, in its minute, hour and day', () =>
    given([]).when(acc()).then((s) => {
      expect(cells(s)).toEqual({ 'listener:submission@10:01': { received: 1 } });
      expect(cells(s, 'hour')).toEqual({ 'listener:submission@10:00': { received: 1 } });
      expect([...s!.cells.values()].find((c) => c.resolution === 'day')?.bucketStart).toBe('2026-03-01T00:00:00.000Z');
    }));

  it('counts a message once when its MessageAccepted comes twice in one batch', () =>
    given([acc()]).when(acc()).thenUnchanged());

  it('counts each delivery outcome per recipient under its zone and the listener of its message', () => {
    const events = [...routed(), recorded(delivered(id, 'a@example.net', at(2))), recorded(deferred(id, 'B@Other.test', at(2, 59)))];
    given(events).when(recorded(bounced(id, 'b@other.TEST', at(3)))).then((s) => expect(cells(s)).toEqual({
      'listener:submission@10:01': { received: 1 },
      'listener:submission@10:02': { delivered: 1, deferred: 1 },
      'zone:bulk@10:02': { delivered: 1, deferred: 1 },
      'listener:submission@10:03': { bounced: 1 },
      'zone:bulk@10:03': { bounced: 1 },
    }));
  });

  it('counts every recipient a MessageExpired lists', () =>
    given(routed()).when(recorded(expired(id, rcpts, at(5)))).then((s) => expect(cells(s)).toMatchObject({
      'listener:submission@10:05': { expired: 2 }, 'zone:bulk@10:05': { expired: 2 },
    })));

  it('counts outcomes of unrouted recipients and unknown messages under the zone and listener "unknown"', () => {
    given([acc()]).when(recorded(bounced(id, 'a@example.net', at(2)))).then((s) => expect(cells(s)).toMatchObject({
      'listener:submission@10:02': { bounced: 1 }, 'zone:unknown@10:02': { bounced: 1 },
    }));
    given([]).when(recorded(delivered(newId(), 'x@example.net', at(2)))).then((s) => expect(cells(s)).toEqual({
      'listener:unknown@10:02': { delivered: 1 }, 'zone:unknown@10:02': { delivered: 1 },
    }));
  });

  it("counts a rejected message under its session's listener, or \"unknown\" when the session was not seen", () => {
    const session = newId();
    given([recorded(started(session, 'inbound', at(0)))]).when(recorded(rejected(session, at(4)))).then((s) =>
      expect(cells(s)).toEqual({ 'listener:inbound@10:04': { rejected: 1 } }));
    given([]).when(recorded(rejected(session, at(4)))).then((s) => expect(cells(s)).toEqual({ 'listener:unknown@10:04': { rejected: 1 } }));
  });

  it('remembers the listener of a session until it ends', () => {
    const session = newId();
    given([]).when(recorded(started(session, 'inbound', at(0)))).then((s) => expect(s?.sessions.get(session)).toBe('inbound'));
    given([recorded(started(session, 'inbound', at(0)))]).when(recorded(ended(session, 'inbound', at(9))))
      .then((s) => expect(s?.sessions.get(session)).toBeNull());
  });

  it('ignores events it does not count', () => {
    given(routed()).when(recorded(messageHeld({ messageId: id, actor: 'api-key:k1', reason: 'x', at: at(3) }))).thenUnchanged();
    given(routed()).when(recorded(deliveryAttempted({
      messageId: id, attemptId: 'a1', recipients: rcpts, zone: 'bulk', localAddress: null, mxHost: null, mxAddress: null, tls: null,
      reply: null, durationMs: 5, outcome: 'deferred', at: at(3),
    }))).thenUnchanged();
  });
});

describe('stats batch keys', () => {
  it('loads the messages of outcomes whose MessageAccepted is not in the batch, and the sessions of rejections not started in it', () => {
    const [old, fresh, s1, s2] = [newId(), newId(), newId(), newId()];
    const keys = statsBatchKeys([
      recorded(delivered(old, 'a@example.net', at(1))),
      recorded(acceptedOn(fresh, 'inbound', at(1))),
      recorded(delivered(fresh, 'a@example.net', at(2))),
      recorded(delivered('not-a-uuid', 'a@example.net', at(2))),
      recorded(started(s1, 'inbound', at(1))),
      recorded(rejected(s1, at(2))),
      recorded(rejected(s2, at(2))),
    ]);
    expect(keys).toEqual({ messageIds: [old], sessionIds: [s2] });
  });
});

describe('bucketStartOf', () => {
  it.each([
    ['minute', '2026-03-01T10:01:59.999Z', '2026-03-01T10:01:00.000Z'],
    ['hour', '2026-03-01T10:59:00.000+02:00', '2026-03-01T08:00:00.000Z'],
    ['day', '2026-03-01T23:30:00.000Z', '2026-03-01T00:00:00.000Z'],
  ] as const)('starts a %s bucket in UTC', (resolution, time, start) => expect(bucketStartOf(time, resolution)).toBe(start));
});
