import type { RecordedEvent } from '@elemta/domain';
import type pg from 'pg';

/**
 * One forward-only SQL migration; the same shape as `Migration` of `@elemta/infra/postgres`,
 * declared here so that projections need no runtime dependency on infra.
 */
export type Migration = Readonly<{ id: string; sql: string }>;

/**
 * A read model built from the event log. `apply` folds one batch of events (in global order) into the
 * view inside the runner's transaction: it loads the rows the batch touches in one query, folds with pure
 * functions and writes back in a few statements. It must not commit, and must be deterministic (no clock,
 * no randomness), so that a replay rebuilds exactly the live view.
 */
export type Projection = Readonly<{
  /** Also the key of its checkpoint. A changed fold gets a new version and a new name (e.g. `messages_v2`). */
  name: string;
  version: number;
  /** Event types the runner reads for it; `'all'` reads every event. */
  handles: readonly string[] | 'all';
  /** The view tables it owns; a replay truncates them. */
  tables: readonly string[];
  migrations: readonly Migration[];
  apply(tx: pg.PoolClient, events: readonly RecordedEvent[]): Promise<void>;
}>;

/** The subset of pino the runner uses. */
export type ProjectionLog = Readonly<{
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}>;

export const silentLog: ProjectionLog = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
