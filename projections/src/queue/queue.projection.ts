import type { RecordedEvent } from '@elemta/domain';
import type pg from 'pg';
import type { Projection } from '../projection.js';
import { dsnKeyOf, foldQueueBatch, queueHandles, queueKeyOf } from './queue.fold.js';
import { loadQueueState, queueTables, queueViewMigrations, saveQueueChanges } from './queue.sql.js';

/**
 * The keys a batch touches. A `BounceQueued` also loads its DSN message (to see whether it is queued already);
 * a message's header is looked up in `queue_accepted` only when its `MessageQueued` is here without its `MessageAccepted`.
 */
export const queueBatchKeys = (events: readonly RecordedEvent[]) => {
  const messageIds = new Set<string>();
  const accepted = new Set<string>();
  const unrouted = new Set<string>();
  const dsnIds = new Set<string>();
  for (const event of events) {
    const key = queueKeyOf(event);
    if (key === null) continue;
    messageIds.add(key);
    if (event.type === 'MessageAccepted') accepted.add(key);
    if (event.type === 'MessageQueued' && !accepted.has(key)) unrouted.add(key);
    const dsn = dsnKeyOf(event);
    if (dsn === null) continue;
    dsnIds.add(dsn);
    if (event.type === 'BounceQueued') {
      messageIds.add(dsn);
      unrouted.add(dsn);
    }
  }
  return { messageIds: [...messageIds], unrouted: [...unrouted], dsnIds: [...dsnIds] };
};

const applyQueue = async (tx: pg.PoolClient, events: readonly RecordedEvent[]): Promise<void> => {
  const keys = queueBatchKeys(events);
  if (keys.messageIds.length === 0) return;
  const loaded = await loadQueueState(tx, keys);
  await saveQueueChanges(tx, loaded, foldQueueBatch(loaded, events));
};

/**
 * `queue`: one row per pending recipient, answering "what is due" (delivery workers, through `claimDueMessages`)
 * and "what is waiting" (GraphQL and metrics, through `createQueueReadModel`); plus `queue_dsn_pending`, the DSNs
 * announced by `BounceQueued` and not yet accepted. Settled recipients are deleted. It has its own checkpoint:
 * run it in its own runner entry, not combined with the tracking views. Leases (`queue_leases`) are not part of it.
 */
export const queueProjection: Projection = {
  name: 'queue',
  version: 1,
  handles: queueHandles,
  tables: queueTables,
  migrations: queueViewMigrations,
  apply: applyQueue,
};
