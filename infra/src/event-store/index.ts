// The contract suite (`describeEventStoreContract`, event-store.contract.ts) is deliberately not re-exported here:
// it imports vitest, a dev dependency, and this entry point is loaded by the daemon and the CLI (`elemta verify`).
export * from './hash-chain.js';
export * from './verify-stream.js';
export * from './prepare-append.js';
