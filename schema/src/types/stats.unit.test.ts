import { describe, expect, it } from 'vitest';
import type { StatsResult } from '@elemta/projections';
import type { Role } from '../builder.js';
import { executeWith } from '../testing/queue-fakes.js';
import { RecordingStatsReadModel } from '../testing/stats-fakes.js';

const query = `query ($from: DateTime!, $to: DateTime!, $bucket: StatsBucket, $groupBy: StatsGroupBy) {
  stats(from: $from, to: $to, bucket: $bucket, groupBy: $groupBy) {
    __typename
    ... on Stats {
      from to bucket groupBy
      series { key totals { received delivered deferred bounced rejected expired }
        points { bucketStart received delivered deferred bounced rejected expired } }
    }
    ... on Error { code message }
    ... on InvalidInputError { field }
  }
}`;

const point = (bucketStart: string, counts: Partial<Record<'received' | 'delivered' | 'deferred' | 'bounced' | 'rejected' | 'expired', number>> = {}) =>
  ({ bucketStart, received: 0, delivered: 0, deferred: 0, bounced: 0, rejected: 0, expired: 0, ...counts });

const result: StatsResult = {
  from: '2026-11-20T09:00:00.000Z', to: '2026-11-20T11:00:00.000Z', bucket: 'hour', groupBy: 'zone',
  series: [{ key: 'bulk', points: [point('2026-11-20T09:00:00.000Z', { delivered: 3, deferred: 1 }), point('2026-11-20T10:00:00.000Z', { delivered: 2, expired: 1 })] }],
};

const run = async (variables: Record<string, unknown>, role: Role = 'operator', stats = new RecordingStatsReadModel(result)) => {
  const response = await executeWith({ stats, viewer: { id: 'key-1', role } }, query, variables);
  expect(response.errors).toBeUndefined();
  return { stats, payload: (response.data as { stats: Record<string, unknown> }).stats };
};

describe('Query.stats', () => {
  it('reads the series with its points and per-series totals', async () => {
    const { stats, payload } = await run({ from: '2026-11-20T09:30:00+01:00', to: '2026-11-20T11:00:00Z', bucket: 'HOUR', groupBy: 'ZONE' });
    expect(stats.calls).toEqual([{ from: '2026-11-20T08:30:00.000Z', to: '2026-11-20T11:00:00.000Z', bucket: 'hour', groupBy: 'zone' }]);
    expect(payload).toEqual({
      __typename: 'Stats', from: '2026-11-20T09:00:00.000Z', to: '2026-11-20T11:00:00.000Z', bucket: 'HOUR', groupBy: 'ZONE',
      series: [{
        key: 'bulk',
        totals: { received: 0, delivered: 5, deferred: 1, bounced: 0, rejected: 0, expired: 1 },
        points: result.series[0]!.points,
      }],
    });
  });

  it('reads minutes, ungrouped, by default', async () => {
    const { stats } = await run({ from: '2026-11-20T09:00:00Z', to: '2026-11-20T10:00:00Z' });
    expect(stats.calls).toEqual([{ from: '2026-11-20T09:00:00.000Z', to: '2026-11-20T10:00:00.000Z', bucket: 'minute', groupBy: 'none' }]);
  });

  it.each(['admin', 'operator', 'auditor'] as const)('lets the %s role read stats', async (role) => {
    const { payload } = await run({ from: '2026-11-20T09:00:00Z', to: '2026-11-20T10:00:00Z' }, role);
    expect(payload['__typename']).toBe('Stats');
  });

  it('refuses integrators with ForbiddenError without reading', async () => {
    const { stats, payload } = await run({ from: '2026-11-20T09:00:00Z', to: '2026-11-20T10:00:00Z' }, 'integrator');
    expect(payload).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    expect(stats.calls).toEqual([]);
  });

  it.each([
    ['more than 1,500 minutes', { from: '2026-11-20T00:00:00Z', to: '2026-11-21T01:00:01Z' }, 'TOO_MANY_BUCKETS', 'bucket'],
    ['more than 1,500 days', { from: '2020-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z', bucket: 'DAY' }, 'TOO_MANY_BUCKETS', 'bucket'],
    ['a range that ends where it starts', { from: '2026-11-20T10:00:00Z', to: '2026-11-20T10:00:00Z' }, 'INVALID_STATS_RANGE', 'to'],
    ['a range that ends before it starts', { from: '2026-11-20T10:00:00Z', to: '2026-11-20T09:00:00Z' }, 'INVALID_STATS_RANGE', 'to'],
  ])('refuses %s as InvalidInputError without reading', async (_what, variables, code, field) => {
    const { stats, payload } = await run(variables);
    expect(payload).toMatchObject({ __typename: 'InvalidInputError', code, field });
    expect(stats.calls).toEqual([]);
  });

  it('accepts exactly 1,500 minutes', async () => {
    const { payload } = await run({ from: '2026-11-20T00:00:00Z', to: '2026-11-21T01:00:00Z' });
    expect(payload['__typename']).toBe('Stats');
  });
});
