export * from './tls-levels.js';
export * from './certificates.js';
