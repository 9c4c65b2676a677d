export * from './verify-message.js';
export * from './sign-message.js';
export * from './verify-pool.js';
