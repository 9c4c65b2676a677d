export * from './config.schema.js';
export { ConfigError } from './config-error.js';
export * from './load-config.js';
export * from './settings-table.js';
export { parseSize } from './size.js';
export { parseDuration, parseRate } from './durations.js';
export { boolean, decimal, duration, integer, rate, size } from './fields.js';
