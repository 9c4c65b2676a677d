import type { StatsQuery, StatsReadModel, StatsResult } from '@elemta/projections';

/**
 * The StatsReadModel port for the schema's unit tests: records each query and answers with `result` (by default one
 * empty series over the asked range, not zero-filled; the real bucketing is the projections' to test).
 */
export class RecordingStatsReadModel implements StatsReadModel {
  readonly calls: StatsQuery[] = [];

  constructor(private readonly result?: StatsResult) {}

  async stats(query: StatsQuery): Promise<StatsResult> {
    this.calls.push(query);
    return this.result ?? { ...query, series: [{ key: null, points: [] }] };
  }
}
