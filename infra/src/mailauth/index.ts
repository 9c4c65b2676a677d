export * from './verify-message.js';
export * from './sign-message.js';
