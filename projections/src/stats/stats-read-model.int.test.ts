import { DomainError } from '@elemta/domain';
import { runMigrations } from '@elemta/infra/postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { queuedFor } from '../queue/testing/queue-fixtures.js';
import { newId } from '../testing/message-fixtures.js';
import { viewMigrations } from '../views.js';
import { createStatsReadModel, MAX_STATS_BUCKETS, type StatsQuery, type StatsReadModel } from './stats-read-model.js';
import { acceptedOn, bounced, deferred, delivered, ended, expired, rejected, routedTo, started } from './testing/stats-fixtures.js';
import { openViewsDb, type ViewsDb } from './testing/views-db.js';

let db: ViewsDb;
let reads: StatsReadModel;
const t = (hhmm: string, day = '01') => `2026-03-${day}T${hhmm}:00.000Z`;
const session = newId();

beforeAll(async () => {
  // Batches of three: sessions and messages are looked up across batches, not only within one.
  db = await openViewsDb(inject('postgresUrl'), 3);
  reads = createStatsReadModel(db.pool);
  const [m1, m2] = [newId(), newId()];
  await db.appendSession(session, [started(session, 'inbound', t('10:00'))]);
  await db.append(m1, [acceptedOn(m1, 'inbound', '2026-03-01T10:01:30.000Z', ['a@example.net']), routedTo(m1, ['a@example.net'], 'default')]);
  await db.append(m2, [
    acceptedOn(m2, 'submission', '2026-03-01T10:02:10.000Z', ['b@example.net', 'c@other.test']),
    queuedFor(m2, ['b@example.net', { address: 'c@other.test', zone: 'bulk' }]),
  ]);
  await db.append(m1, [delivered(m1, 'a@example.net', t('10:02'))]);
  await db.append(m2, [deferred(m2, 'b@example.net', t('10:02')), bounced(m2, 'c@other.test', t('10:03'))]);
  await db.appendSession(session, [rejected(session, '2026-03-01T10:04:59.000Z'), ended(session, 'inbound', t('10:05'))]);
  await db.append(m2, [expired(m2, ['b@example.net'], t('11:30'))]);
  await db.runner.catchUp();
});
afterAll(async () => { await db?.close(); });

const query = (q: Partial<StatsQuery>) => reads.stats({ from: t('10:00'), to: t('10:05'), bucket: 'minute', groupBy: 'none', ...q });
const z = { received: 0, delivered: 0, deferred: 0, bounced: 0, rejected: 0, expired: 0 };
/** The non-zero counts of each point, by bucket start's HH:MM (or date for days). */
const compact = (points: readonly ({ bucketStart: string } & typeof z)[], day = false) => Object.fromEntries(points.map((p) => [
  day ? p.bucketStart.slice(0, 10) : p.bucketStart.slice(11, 16),
  Object.fromEntries(Object.entries(p).filter(([k, n]) => k !== 'bucketStart' && n !== 0)),
]));

describe('stats read model', () => {
  it('returns one series with a point per minute, empty minutes as zeros', async () => {
    const result = await query({});
    expect(result).toMatchObject({ from: t('10:00'), to: t('10:05'), bucket: 'minute', groupBy: 'none' });
    expect(result.series).toHaveLength(1);
    expect(result.series[0]?.key).toBeNull();
    expect(result.series[0]?.points[0]).toEqual({ bucketStart: t('10:00'), ...z });
    expect(compact(result.series[0]!.points)).toEqual({
      '10:00': {}, '10:01': { received: 1 }, '10:02': { received: 1, delivered: 1, deferred: 1 }, '10:03': { bounced: 1 }, '10:04': { rejected: 1 },
    });
  });

  it('groups by listener: every count under the listener that received the mail (rejections by their session)', async () => {
    const { series } = await query({ groupBy: 'listener' });
    expect(series.map((s) => s.key)).toEqual(['inbound', 'submission']);
    expect(compact(series[0]!.points)).toMatchObject({ '10:01': { received: 1 }, '10:02': { delivered: 1 }, '10:04': { rejected: 1 } });
    expect(compact(series[1]!.points)).toMatchObject({ '10:02': { received: 1, deferred: 1 }, '10:03': { bounced: 1 }, '10:04': {} });
  });

  it('groups by zone: delivery outcomes per sending zone of the recipient', async () => {
    const { series } = await query({ groupBy: 'zone' });
    expect(series.map((s) => s.key)).toEqual(['bulk', 'default']);
    expect(compact(series[0]!.points)).toEqual({ '10:00': {}, '10:01': {}, '10:02': {}, '10:03': { bounced: 1 }, '10:04': {} });
    expect(compact(series[1]!.points)).toMatchObject({ '10:01': {}, '10:02': { delivered: 1, deferred: 1 }, '10:04': {} });
  });

  it('sums by hour and by day, widening the range to whole buckets', async () => {
    const hours = await query({ from: '2026-03-01T10:20:00Z', to: '2026-03-01T11:31:00Z', bucket: 'hour' });
    expect([hours.from, hours.to]).toEqual([t('10:00'), t('12:00')]);
    expect(compact(hours.series[0]!.points)).toEqual({
      '10:00': { received: 2, delivered: 1, deferred: 1, bounced: 1, rejected: 1 }, '11:00': { expired: 1 },
    });
    const days = await query({ from: '2026-02-28T23:59:00Z', to: '2026-03-02T00:00:01Z', bucket: 'day', groupBy: 'zone' });
    expect(days.series.find((s) => s.key === 'default')!.points.map((p) => [p.bucketStart.slice(0, 10), p.delivered, p.expired]))
      .toEqual([['2026-02-28', 0, 0], ['2026-03-01', 1, 1], ['2026-03-02', 0, 0]]);
  });

  it('returns zeros for a range without traffic, and no series when grouped', async () => {
    const empty = { from: '2026-04-01T00:00:00Z', to: '2026-04-01T00:03:00Z' };
    expect((await query(empty)).series).toEqual([{ key: null, points: [0, 1, 2].map((m) => ({ bucketStart: `2026-04-01T00:0${m}:00.000Z`, ...z })) }]);
    expect((await query({ ...empty, groupBy: 'listener' })).series).toEqual([]);
  });

  it(`allows ${MAX_STATS_BUCKETS} buckets and refuses more`, async () => {
    const max = await query({ from: t('00:00'), to: t('01:00', '02') }); // 25 hours of minutes
    expect(max.series[0]?.points).toHaveLength(MAX_STATS_BUCKETS);
    const tooMany = query({ from: t('00:00'), to: '2026-03-02T01:00:00.001Z' });
    await expect(tooMany).rejects.toBeInstanceOf(DomainError);
    await expect(tooMany).rejects.toMatchObject({ code: 'TOO_MANY_BUCKETS' });
  });

  it('refuses a range that ends before it starts, or an unparseable time', async () => {
    await expect(query({ from: t('10:05'), to: t('10:05') })).rejects.toMatchObject({ code: 'INVALID_STATS_RANGE' });
    await expect(query({ from: 'yesterday' })).rejects.toMatchObject({ code: 'INVALID_STATS_RANGE' });
  });

  it('forgets a session once it ended', async () => {
    expect((await db.pool.query('SELECT * FROM stats_sessions WHERE session_id = $1', [session])).rows).toEqual([]);
  });
});

describe('views migration for stats', () => {
  it('empties the views of a database built before stats, so that they are rebuilt from event zero', async () => {
    const counters = async () => (await db.pool.query('SELECT * FROM stats_counters ORDER BY resolution, dimension, bucket_start, key')).rows;
    const built = await counters();
    // As a node without stats left it: views caught up, no stats. The migration runs as on the first start with stats.
    await db.pool.query('TRUNCATE stats_counters');
    await db.pool.query("DELETE FROM schema_migrations WHERE id = 'projections/views-0003-stats-rebuild'");
    expect(await runMigrations(db.pool, viewMigrations)).toEqual(['projections/views-0003-stats-rebuild']);
    expect((await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM messages')).rows[0]?.n).toBe(0);
    await db.runner.catchUp();
    expect(await counters()).toEqual(built);
    expect((await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM messages')).rows[0]?.n).toBe(2);
  });
});
