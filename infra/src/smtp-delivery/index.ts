export * from './transport-types.js';
export * from './smtp-outcome.js';
export type { SessionInfo, SessionSettings, SessionTls, SessionTlsInfo, TlsPolicy } from './smtp-session.js';
export { defaultPoolLimits, SmtpConnectionPool, SmtpPoolSet, type PoolLimits, type SendResult, type SmtpEnvelope } from './smtp-connection-pool.js';
export { createRelayTransport, type PoolOptions, type RelayTransportOptions } from './relay-transport.js';
export { createSmarthostTransport, type SmarthostTransportOptions } from './smarthost-transport.js';
export { createLmtpTransport, type LmtpTransportOptions } from './lmtp-transport.js';
export { createMaildirTransport, maildirNameOf, type MaildirTransportOptions } from './maildir-transport.js';
export { createCaptureTransport } from './capture-transport.js';
