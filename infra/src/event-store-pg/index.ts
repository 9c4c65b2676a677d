export { PostgresEventStore, type PostgresEventStoreOptions } from './postgres-event-store.js';
export { eventStoreMigrations, EVENTS_CHANNEL } from './migrations.js';
export type { FlushInfo } from './group-commit.js';
export type { StoreLog } from './pg-subscription.js';
export { encodePgPosition, decodePgPosition } from './queries.js';
