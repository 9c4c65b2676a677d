import { DomainError } from '@elemta/domain';
import {
  statsRange, MAX_STATS_BUCKETS,
  type StatsBucket as StatsBucketValue, type StatsCounts, type StatsGroupBy as StatsGroupByValue, type StatsPoint as StatsPointValue,
  type StatsQuery, type StatsResult, type StatsSeries as StatsSeriesValue,
} from '@elemta/projections';
import { builder, type Viewer } from '../builder.js';
import { enumValues } from '../enum-values.js';
import { ForbiddenError, InvalidInputError } from './queue-actions.js';
import { READERS, requireRole } from './roles.js';

export const StatsBucket = builder.enumType('StatsBucket', {
  description: 'The width of one point of a stats series; buckets start on whole UTC minutes, hours or days.',
  values: enumValues<StatsBucketValue>({
    minute: `One minute (at most ${MAX_STATS_BUCKETS} minutes, 25 hours, per query).`,
    hour: `One hour (at most ${MAX_STATS_BUCKETS} hours, about two months, per query).`,
    day: `One UTC day (at most ${MAX_STATS_BUCKETS} days, about four years, per query).`,
  }),
});

export const StatsGroupBy = builder.enumType('StatsGroupBy', {
  description: 'How stats are split into series.',
  values: enumValues<StatsGroupByValue>({
    none: 'One series with every count.',
    listener: 'One series per SMTP listener that received the mail (deliveries count under the listener of their message).',
    zone: 'One series per sending zone; only delivery outcomes count (mail has no zone before it is routed).',
  }),
});

const countFields = (what: string) => ({
  received: `Messages accepted${what}.`,
  delivered: `Recipients delivered${what}.`,
  deferred: `Delivery attempts deferred (temporary failures), counted per recipient${what}.`,
  bounced: `Recipients bounced (permanent failures)${what}.`,
  rejected: `Messages refused at DATA (policy, size, storage)${what}.`,
  expired: `Recipients given up after the maximum queue time${what}.`,
});

const StatsTotals = builder.objectRef<StatsCounts>('StatsTotals').implement({
  description: 'Counts summed over every bucket of a series.',
  fields: (t) => Object.fromEntries(Object.entries(countFields(' in the whole range'))
    .map(([name, description]) => [name, t.exposeInt(name as keyof StatsCounts, { description })])),
});

export const StatsPoint = builder.objectRef<StatsPointValue>('StatsPoint').implement({
  description: 'The counts of one bucket.',
  fields: (t) => ({
    bucketStart: t.field({ type: 'DateTime', description: 'Where the bucket starts (UTC); it ends where the next one starts.', resolve: (p) => p.bucketStart }),
    ...Object.fromEntries(Object.entries(countFields(' in this bucket'))
      .map(([name, description]) => [name, t.exposeInt(name as keyof StatsCounts, { description })])),
  }),
});

const sum = (points: readonly StatsPointValue[]): StatsCounts => points.reduce((acc, p) => ({
  received: acc.received + p.received, delivered: acc.delivered + p.delivered, deferred: acc.deferred + p.deferred,
  bounced: acc.bounced + p.bounced, rejected: acc.rejected + p.rejected, expired: acc.expired + p.expired,
}), { received: 0, delivered: 0, deferred: 0, bounced: 0, rejected: 0, expired: 0 });

export const StatsSeries = builder.objectRef<StatsSeriesValue>('StatsSeries').implement({
  description: 'One line of a chart: a point for every bucket of the range, empty buckets as zeros.',
  fields: (t) => ({
    key: t.exposeString('key', { nullable: true, description: 'The listener or zone of this series; null when not grouped.' }),
    points: t.field({ type: [StatsPoint], description: 'One point per bucket, oldest first.', resolve: (s) => s.points }),
    totals: t.field({ type: StatsTotals, description: 'The counts of the whole range.', resolve: (s) => sum(s.points) }),
  }),
});

export const Stats = builder.objectRef<StatsResult>('Stats').implement({
  description: 'Traffic counters for charts, from the `stats` view (it may lag the event log by a batch).',
  fields: (t) => ({
    from: t.field({ type: 'DateTime', description: 'The start of the first bucket (`from` rounded down to the bucket).', resolve: (s) => s.from }),
    to: t.field({ type: 'DateTime', description: 'The end of the last bucket (`to` rounded up to the bucket).', resolve: (s) => s.to }),
    bucket: t.expose('bucket', { type: StatsBucket, description: 'The width of each point.' }),
    groupBy: t.expose('groupBy', { type: StatsGroupBy, description: 'How the series are split.' }),
    series: t.field({
      type: [StatsSeries], description: 'The series, by key; one unkeyed series when not grouped, none when grouped and nothing happened.',
      resolve: (s) => s.series,
    }),
  }),
});

type StatsArgs = Readonly<{ from: string; to: string; bucket?: StatsBucketValue | null; groupBy?: StatsGroupByValue | null }>;

/** Checks the caller's role and the range (the read model's own rules); throws `ForbiddenError` or `InvalidInputError`. */
export const toStatsQuery = (args: StatsArgs, viewer: Viewer): StatsQuery => {
  requireRole(viewer, READERS, 'read traffic stats');
  const query = { from: args.from, to: args.to, bucket: args.bucket ?? 'minute', groupBy: args.groupBy ?? 'none' } as const;
  try {
    statsRange(query.from, query.to, query.bucket);
  } catch (err) {
    if (err instanceof DomainError) throw new InvalidInputError(err.code, err.message, err.code === 'TOO_MANY_BUCKETS' ? 'bucket' : 'to');
    throw err;
  }
  return query;
};

builder.queryField('stats', (t) =>
  t.field({
    type: Stats,
    description: `Counts of received, delivered, deferred, bounced, rejected and expired mail per bucket, for charts (at most ${MAX_STATS_BUCKETS} buckets).`,
    errors: {
      types: [InvalidInputError, ForbiddenError],
      union: { description: 'The result of `stats`: the series, or why none were read (integrators may not read stats).' },
    },
    args: {
      from: t.arg({ type: 'DateTime', required: true, description: 'The start of the range; rounded down to the bucket.' }),
      to: t.arg({ type: 'DateTime', required: true, description: 'The end of the range (exclusive); rounded up to the bucket.' }),
      bucket: t.arg({ type: StatsBucket, defaultValue: 'minute', description: 'The width of each point.' }),
      groupBy: t.arg({ type: StatsGroupBy, defaultValue: 'none', description: 'How to split the counts into series.' }),
    },
    resolve: (_root, args, ctx) => ctx.readModels.stats.stats(toStatsQuery(args, ctx.viewer)),
  }),
);
