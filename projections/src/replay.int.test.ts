import {
  asSessionId, messageCancelled, messageExpired, messageHeld, messageReleased, recipientBounced, recipientDeferred,
  recipientDelivered, sessionStarted, sessionStream, type AnyDomainEvent,
} from '@elemta/domain';
import { runMigrations } from '@elemta/infra/postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProjectionRunner } from './projection-runner.js';
import { replayProjections } from './replay.js';
import { accepted, metadataFor, newId, queued, reply } from './testing/message-fixtures.js';
import { checkpoints, eventually, openTrackingDb, snapshot, type TrackingDb } from './testing/tracking-db.js';
import { ended, rejected } from './stats/testing/stats-fixtures.js';
import { viewMigrations, viewProjections } from './views.js';

let db: TrackingDb;
beforeAll(async () => {
  db = await openTrackingDb(inject('postgresUrl'));
  await runMigrations(db.pool, viewMigrations);
});
afterAll(async () => { await db?.close(); });

const at = '2026-02-01T00:00:00.000Z';
const admin = (messageId: string) => ({ messageId, actor: 'api-key:k1', reason: 'replay test', at });
const views = async () => ({
  messages: await snapshot(db.pool, 'messages'),
  events: await snapshot(db.pool, 'message_events'),
  stats: (await db.pool.query<Record<string, unknown>>('SELECT * FROM stats_counters ORDER BY resolution, dimension, bucket_start, key')).rows,
  sessions: (await db.pool.query('SELECT * FROM stats_sessions ORDER BY session_id')).rows,
  checkpoints: await checkpoints(db.pool),
});

const session = newId();
const inSession = (events: AnyDomainEvent[]) =>
  db.store.appendToStream(sessionStream(asSessionId(session)), events, { expectedVersion: 'any', metadata: metadataFor(session) });

/** Three rounds of traffic touching every event the views fold, plus a session stream (only stats counts its rejection). */
const traffic = async (round: number, ids: string[]): Promise<void> => {
  if (round === 0) {
    for (let i = 0; i < 12; i++) {
      const id = newId();
      ids.push(id);
      const rcptTo = [`r${i}@a.test`, `R${i}@B.test`];
      await db.append(id, [accepted(id, { rcptTo, subject: `s${i}`, acceptedAt: `2026-02-01T00:00:${10 + (i % 4)}.000Z` }), queued(id, rcptTo)]);
    }
    await inSession([sessionStarted({
      sessionId: session, listener: 'inbound', client: { address: '127.0.0.1', port: 1, reverseDns: null, helo: null },
      localAddress: '127.0.0.1', localPort: 2525, tls: null, startedAt: at,
    })]);
    return;
  }
  await inSession([round === 1 ? rejected(session, at) : ended(session, 'inbound', at)]);
  for (const [i, id] of ids.entries()) {
    const [a, b] = [`r${i}@a.test`, `R${i}@B.test`];
    const attempt = { messageId: id, attemptId: `a${round}`, at };
    const byCase = round === 1 ? [
      [recipientDelivered({ ...attempt, recipient: a, reply: reply(250, '2.0.0') })],
      [recipientDeferred({ ...attempt, recipient: b, reply: reply(451, '4.3.0'), attempt: 1, nextAttemptAt: at })],
      [messageHeld(admin(id))],
      [],
    ] : [
      [recipientBounced({ ...attempt, recipient: b, reply: reply(550, '5.1.1'), reason: 'unknown user' })],
      [messageExpired({ messageId: id, recipients: [a, b], queueAgeSeconds: 3600, at })],
      [messageReleased(admin(id)), recipientDelivered({ ...attempt, recipient: a, reply: reply(250, '2.0.0') })],
      [messageCancelled(admin(id))],
    ];
    const events = byCase[i % 4] ?? [];
    if (events.length > 0) await db.append(id, events);
  }
};

describe('replay', () => {
  it('rebuilds views equal to the ones built live', async () => {
    const live = new ProjectionRunner({ pool: db.pool, store: db.store, projections: viewProjections, batchSize: 5, pollIntervalMs: 50 });
    live.start();
    const ids: string[] = [];
    try {
      for (let round = 0; round < 3; round++) {
        await traffic(round, ids);
        // Let the live runner see each round in several small batches before the next one arrives.
        await eventually(async () => expect((await snapshot(db.pool, 'message_events')).length).toBe([24, 33, 48][round]));
      }
    } finally {
      await live.stop();
    }
    await live.catchUp();
    const before = await views();
    expect(before.messages).toHaveLength(12);
    expect(new Set((before.messages as { status: string }[]).map((r) => r.status)))
      .toEqual(new Set(['partial', 'expired', 'queued', 'cancelled']));

    const result = await replayProjections(db.pool, db.store, viewProjections, { batchSize: 7 });
    expect(result.events['views']).toBe(before.events.length + 3); // the session's three events are read, not kept in timelines
    expect(before.stats.filter((r) => r['resolution'] === 'day' && r['dimension'] === 'listener')).toEqual([{
      resolution: 'day', dimension: 'listener', key: 'inbound', bucket_start: new Date('2026-02-01T00:00:00.000Z'),
      received: 12, delivered: 6, deferred: 3, bounced: 3, rejected: 1, expired: 6,
    }]);
    expect(before.sessions).toEqual([]);
    expect(await views()).toEqual(before);
  });

  it('stays exactly-once while a live runner keeps running during the replay', async () => {
    const before = await views();
    const live = new ProjectionRunner({ pool: db.pool, store: db.store, projections: viewProjections, batchSize: 3, pollIntervalMs: 20 });
    live.start();
    try {
      await replayProjections(db.pool, db.store, viewProjections, { batchSize: 4 });
      await live.catchUp();
    } finally {
      await live.stop();
    }
    expect(await views()).toEqual(before);
  });
});
