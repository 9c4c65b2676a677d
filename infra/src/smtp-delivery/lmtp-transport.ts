import type { PoolOptions } from './relay-transport.js';
import { createSinglePeerTransport } from './single-peer-transport.js';
import { timeoutsOf, type TimeoutOptions } from './smtp-attempt.js';
import type { SessionSettings, SessionTls } from './smtp-session.js';
import type { Transport } from './transport-types.js';

export type LmtpTransportOptions = TimeoutOptions & Readonly<{
  host: string;
  port: number;
  /** Default `none`: LMTP usually runs on a trusted local network. */
  tls?: SessionTls;
  ca?: readonly Buffer[];
  /** The name sent in LHLO. */
  heloName: string;
  pool?: PoolOptions;
}>;

/**
 * Local delivery over LMTP (RFC 2033): one transaction per request, and after DATA one reply per accepted recipient,
 * so each recipient gets its own outcome (nodemailer reports the refusals in `rejectedErrors`).
 */
export const createLmtpTransport = (options: LmtpTransportOptions): Transport => {
  const timeouts = timeoutsOf(options);
  return createSinglePeerTransport('lmtp', options.host, options.port, options.pool, (localAddress): SessionSettings => ({
    host: options.host, port: options.port, servername: null, localAddress, heloName: options.heloName,
    tls: options.tls ?? 'none', secure: false, ca: options.ca ?? [], auth: null, lmtp: true, ...timeouts,
  }));
};
