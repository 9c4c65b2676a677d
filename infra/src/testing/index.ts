export * from './free-port.js';
export * from './test-postgres.js';
