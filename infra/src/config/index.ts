export * from './config.schema.js';
export { ConfigError } from './config-error.js';
export * from './load-config.js';
export * from './settings-table.js';
export { parseSize } from './size.js';
