import type { ElemtaConfig } from '@elemta/infra/config';
import type { Logger } from '@elemta/infra/logger';
import { replayProjections, viewMigrations, viewProjections } from '@elemta/projections';
import { withStores } from './open-stores.js';

/** Drops the views (tracking and queue) and rebuilds them from event zero. Run it while `elemta serve` is stopped. */
export const replayCommand = async (config: ElemtaConfig, log: Logger): Promise<number> =>
  withStores(config, log, { migrations: viewMigrations }, async ({ pool, store }) => {
    const started = Date.now();
    await replayProjections(pool, store, viewProjections);
    console.log(`replayed ${viewProjections.map((p) => p.name).join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  });
