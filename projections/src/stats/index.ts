export { statsProjection } from './stats.projection.js';
export {
  bucketStartOf, emptyStatsState, evolveStats, statsBatchKeys, STATS_COUNTERS, UNKNOWN_KEY,
  type StatsCell, type StatsCounter, type StatsCounts, type StatsDimension, type StatsMessage, type StatsResolution, type StatsState,
} from './stats.fold.js';
export {
  createStatsReadModel, MAX_STATS_BUCKETS, statsRange,
  type StatsBucket, type StatsGroupBy, type StatsPoint, type StatsQuery, type StatsRange, type StatsReadModel, type StatsResult,
  type StatsSeries,
} from './stats-read-model.js';
