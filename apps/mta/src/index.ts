export { startElemta, type RunningElemta } from './serve.js';
export { ApiKeys, apiKeyMigrations, type Viewer } from './auth/api-keys.js';
export { createInboundListener, type InboundListener, type ListenerConfig } from './smtp/inbound-listener.js';
export { acceptMessage } from './smtp/accept-message.js';
export { createMessageCommands, MAX_FILTER_SELECTION, type MessageCommandDeps } from './commands/message-commands.js';
export { SmtpUsers, smtpUserMigrations, normalizeUsername, type SmtpUser } from './auth/smtp-users.js';
export { AuthFailures, authFailureMigrations } from './auth/auth-failures.js';
export { createProjectionAdmin } from './admin/projection-admin.js';
