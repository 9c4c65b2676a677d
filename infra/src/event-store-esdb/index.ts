export { EsdbEventStore, type EsdbEventStoreOptions } from './esdb-event-store.js';
export {
  versionToRevision, revisionToVersion, expectedRevisionFor, encodeEsdbPosition, decodeEsdbPosition,
} from './esdb-translation.js';
