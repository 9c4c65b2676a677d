import type { Migration } from '../projection.js';
import { queueClaimMigrations } from './queue-claims.js';
import { queueProjection } from './queue.projection.js';

export { queueProjection } from './queue.projection.js';
export {
  evolveQueueMessage, foldQueueBatch, priorityRank, DSN_FOR_ANNOTATION,
  type DsnPendingRow, type QueueMessage, type QueueRow, type QueueRowStatus,
} from './queue.fold.js';
export {
  claimDueMessages, deleteExpiredLeases, dropClaims, pendingDsns, queueClaimMigrations, releaseClaims, renewLeases,
  type ClaimOptions, type PendingDsn,
} from './queue-claims.js';
export {
  createQueueReadModel, type QueueEntry, type QueueListArgs, type QueuePage, type QueueReadModel, type QueueSummary,
} from './queue-read-model.js';
export type { QueueFilter, QueueStatus } from './queue-filter.js';

/** The queue view's tables, then `queue_leases`; run after `checkpointMigrations` (e.g. after `trackingMigrations`). */
export const queueMigrations: readonly Migration[] = [...queueProjection.migrations, ...queueClaimMigrations];
