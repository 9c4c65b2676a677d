export * from './free-port.js';
export * from './test-postgres.js';
export * from './raw-smtp-client.js';
export * from './graphql-client.js';
export { default as postgresGlobalSetup } from './postgres.global-setup.js';
export * from './dns-test-server.js';
export * from './smtp-sinks.js';
export * from './mail-auth-zones.js';
