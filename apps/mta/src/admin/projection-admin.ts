import {
  adminStream, DomainError, projectionReplayed, projectionReplayRequested, type AnyDomainEvent, type EventStore,
} from '@elemta/domain';
import { replayProjections, type BatchInfo, type Projection, type ProjectionLog } from '@elemta/projections';
import type { ProjectionAdmin, ProjectionReplay } from '@elemta/schema';
import type pg from 'pg';

export type ProjectionAdminDeps = Readonly<{
  pool: pg.Pool;
  store: EventStore;
  /** The projections this node runs (its ProjectionRunner's). */
  projections: readonly Projection[];
  node: string;
  log: ProjectionLog;
  onBatch?: (info: BatchInfo) => void;
  now?: () => Date;
}>;

/**
 * Rebuilds a projection from event zero on a running node. The node's own runner need not pause: `replayProjections`
 * empties the views and resets the checkpoint in one transaction that waits for the batch in progress (checkpoint row
 * locked), and every batch of either runner re-reads the checkpoint under that lock, so each event is applied exactly
 * once whichever runner applies it. Until the rebuild catches up, reads see the views partly filled; delivery only
 * takes hints from the queue view and confirms each claim against the log. One rebuild per projection at a time on
 * this node; a second request gets `DomainError('REPLAY_IN_PROGRESS')`.
 */
export const createProjectionAdmin = (deps: ProjectionAdminDeps): ProjectionAdmin => {
  const running = new Set<string>();
  const now = deps.now ?? (() => new Date());
  const record = (event: AnyDomainEvent, projection: string, actor: string) =>
    deps.store.appendToStream(adminStream('projections'), [event], {
      expectedVersion: 'any', metadata: { correlationId: projection, causationId: null, actor, node: deps.node },
    });

  const replay = async ({ name, actor }: Readonly<{ name: string; actor: string }>): Promise<ProjectionReplay> => {
    const projection = deps.projections.find((p) => p.name === name);
    if (!projection) {
      throw new DomainError('UNKNOWN_PROJECTION', `no projection ${JSON.stringify(name)}; this node runs: ${deps.projections.map((p) => p.name).join(', ')}`);
    }
    if (running.has(name)) throw new DomainError('REPLAY_IN_PROGRESS', `${name} is being rebuilt already; wait for that rebuild to finish`);
    running.add(name);
    try {
      const startedAt = now().toISOString();
      await record(projectionReplayRequested({ projection: name, actor, at: startedAt }), name, actor);
      deps.log.info({ projection: name, actor }, 'projection replay started');
      const result = await replayProjections(deps.pool, deps.store, [projection], {
        log: deps.log, ...(deps.onBatch ? { onBatch: deps.onBatch } : {}),
      });
      const events = result.events[name] ?? 0;
      const finishedAt = now().toISOString();
      await record(projectionReplayed({ projection: name, actor, events, at: finishedAt }), name, actor);
      deps.log.info({ projection: name, actor, events }, 'projection replayed');
      return { projection: name, events, startedAt, finishedAt };
    } finally {
      running.delete(name);
    }
  };

  return { names: () => deps.projections.map((p) => p.name), replay };
};
