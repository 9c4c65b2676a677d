export * from './embedded-postgres.js';
export * from './attach-embedded.js';
export * from './pool.js';
export * from './migrations.js';
export * from './batcher.js';
export * from './throttles.js';
export * from './rate-limits.js';
export * from './greylist.js';
