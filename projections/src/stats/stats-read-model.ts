import { DomainError } from '@elemta/domain';
import type pg from 'pg';
import { BUCKET_MS, STATS_COUNTERS, type StatsCounts, type StatsResolution } from './stats.fold.js';

export type StatsBucket = StatsResolution;
export type StatsGroupBy = 'none' | 'listener' | 'zone';

export type StatsQuery = Readonly<{ from: string; to: string; bucket: StatsBucket; groupBy: StatsGroupBy }>;

export type StatsPoint = Readonly<{ bucketStart: string } & StatsCounts>;

/** One line of a chart: `key` is the listener or zone, null when not grouped. */
export type StatsSeries = Readonly<{ key: string | null; points: readonly StatsPoint[] }>;

/** The buckets covering the asked range: `from` rounded down and `to` rounded up to whole buckets. */
export type StatsResult = Readonly<{ from: string; to: string; bucket: StatsBucket; groupBy: StatsGroupBy; series: readonly StatsSeries[] }>;

export interface StatsReadModel {
  stats(query: StatsQuery): Promise<StatsResult>;
}

/** The most buckets one query may ask for: a day of minutes with margin, two months of hours, four years of days. */
export const MAX_STATS_BUCKETS = 1500;

export type StatsRange = Readonly<{ startMs: number; endMs: number; buckets: number }>;

/**
 * The whole buckets (UTC) that overlap `[from, to)`. Throws `DomainError`: `INVALID_STATS_RANGE` for an unparseable
 * time or `to` not after `from`, `TOO_MANY_BUCKETS` beyond `MAX_STATS_BUCKETS`.
 */
export const statsRange = (from: string, to: string, bucket: StatsBucket): StatsRange => {
  const fromMs = Date.parse(from);
  const toMs = Date.parse(to);
  if (Number.isNaN(fromMs) || Number.isNaN(toMs)) throw new DomainError('INVALID_STATS_RANGE', 'from and to must be ISO-8601 timestamps');
  if (toMs <= fromMs) throw new DomainError('INVALID_STATS_RANGE', 'to must be later than from');
  const size = BUCKET_MS[bucket];
  const startMs = Math.floor(fromMs / size) * size;
  const endMs = Math.ceil(toMs / size) * size;
  const buckets = (endMs - startMs) / size;
  if (buckets > MAX_STATS_BUCKETS) {
    throw new DomainError('TOO_MANY_BUCKETS', `the range holds ${buckets} ${bucket} buckets; at most ${MAX_STATS_BUCKETS} per query`);
  }
  return { startMs, endMs, buckets };
};

type Row = { t: number; key: string | null } & StatsCounts;

const SUMS = STATS_COUNTERS.map((c) => `sum(${c})::float8 AS ${c}`).join(', ');
const COLUMNS = STATS_COUNTERS.map((c) => `${c}::float8 AS ${c}`).join(', ');
const T = `(extract(epoch FROM bucket_start) * 1000)::float8 AS t`;
const RANGE = `resolution = $1 AND dimension = $2 AND bucket_start >= $3::timestamptz AND bucket_start < $4::timestamptz`;

// Ungrouped totals are the `listener` rows summed over listeners: every count is attributed to a listener once.
const TOTALS_SQL = `SELECT ${T}, NULL AS key, ${SUMS} FROM stats_counters WHERE ${RANGE} GROUP BY bucket_start`;
const KEYED_SQL = `SELECT ${T}, key, ${COLUMNS} FROM stats_counters WHERE ${RANGE}`;

const zeroPoint = (ms: number): StatsPoint =>
  ({ bucketStart: new Date(ms).toISOString(), received: 0, delivered: 0, deferred: 0, bounced: 0, rejected: 0, expired: 0 });

const toPoint = (r: Row): StatsPoint => ({
  bucketStart: new Date(r.t).toISOString(), received: Number(r.received), delivered: Number(r.delivered), deferred: Number(r.deferred),
  bounced: Number(r.bounced), rejected: Number(r.rejected), expired: Number(r.expired),
});

/** Every bucket of the range for every key found (one unkeyed series when not grouped), empty buckets as zeros. */
const zeroFilled = (rows: readonly Row[], range: StatsRange, size: number, grouped: boolean): StatsSeries[] => {
  const keys = grouped ? [...new Set(rows.map((r) => r.key as string))].sort() : [null];
  const series = new Map(keys.map((key) => [key, Array.from({ length: range.buckets }, (_, i) => zeroPoint(range.startMs + i * size))]));
  for (const r of rows) {
    const points = series.get(r.key);
    const i = Math.round((r.t - range.startMs) / size);
    if (points && i >= 0 && i < points.length) points[i] = toPoint(r);
  }
  return keys.map((key) => ({ key, points: series.get(key)! }));
};

const stats = async (pool: pg.Pool, q: StatsQuery): Promise<StatsResult> => {
  const range = statsRange(q.from, q.to, q.bucket);
  const grouped = q.groupBy !== 'none';
  const params = [q.bucket, q.groupBy === 'zone' ? 'zone' : 'listener', new Date(range.startMs).toISOString(), new Date(range.endMs).toISOString()];
  const { rows } = await pool.query<Row>({
    name: grouped ? 'elemta_stats_keyed' : 'elemta_stats_totals', text: grouped ? KEYED_SQL : TOTALS_SQL, values: params,
  });
  return {
    from: new Date(range.startMs).toISOString(), to: new Date(range.endMs).toISOString(), bucket: q.bucket, groupBy: q.groupBy,
    series: zeroFilled(rows, range, BUCKET_MS[q.bucket], grouped),
  };
};

/**
 * The stats read model over `stats_counters`. One query per call, reading at most one stored row per bucket and key
 * (each bucket size is stored, none is summed from smaller ones). Buckets are UTC; a series covers every bucket
 * overlapping `[from, to)`, zeros included. Grouped by zone, only delivery outcomes count (`received` and
 * `rejected` are 0: mail has no zone before it is routed). Reads may lag the log by a batch.
 */
export const createStatsReadModel = (pool: pg.Pool): StatsReadModel => ({
  stats: (query) => stats(pool, query),
});
