export * from './blob-store-errors.js';
export * from './file-blob-store.js';
export * from './postgres-blob-store.js';
export * from './tiered-blob-store.js';
