import type { ElemtaConfig } from '@elemta/infra/config';
import type { Logger } from '@elemta/infra/logger';
import { createProjectionAdmin } from '@elemta/mta';
import { viewMigrations, viewProjections } from '@elemta/projections';
import { withStores } from './open-stores.js';
import { cliActor } from './queue.js';

/**
 * Rebuilds the views (tracking, queue, stats) from event zero, the same rebuild as GraphQL's `replayProjection`:
 * safe beside a running `elemta serve`, and recorded as ProjectionReplayRequested/ProjectionReplayed in
 * `admin-projections` with `cli:<os user>@<node>` as the actor.
 */
export const replayCommand = async (config: ElemtaConfig, log: Logger): Promise<number> =>
  withStores(config, log, { migrations: viewMigrations }, async ({ pool, store }) => {
    const admin = createProjectionAdmin({ pool, store, projections: viewProjections, node: config.node, log: log.child({ component: 'replay' }) });
    const started = Date.now();
    for (const name of admin.names()) await admin.replay({ name, actor: cliActor(config.node) });
    console.log(`replayed ${admin.names().join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  });
