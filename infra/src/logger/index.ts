export * from './logger.js';
export { formatPretty } from './pretty-stream.js';
