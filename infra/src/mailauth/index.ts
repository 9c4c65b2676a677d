export * from './verify-message.js';
export * from './sign-message.js';
export * from './verify-pool.js';
export { mailauthCacheStats, type MailauthCacheStats } from './mailauth-library.js';
