export { startElemta, type RunningElemta } from './serve.js';
export { ApiKeys, apiKeyMigrations, type Viewer } from './auth/api-keys.js';
export { createInboundListener, type InboundListener, type ListenerConfig } from './smtp/inbound-listener.js';
export { acceptMessage } from './smtp/accept-message.js';
