import { isIP } from 'node:net';
import type { PoolOptions } from './relay-transport.js';
import { createSinglePeerTransport } from './single-peer-transport.js';
import { timeoutsOf, type TimeoutOptions } from './smtp-attempt.js';
import type { SessionSettings, TlsPolicy } from './smtp-session.js';
import type { Transport } from './transport-types.js';

export type SmarthostTransportOptions = TimeoutOptions & Readonly<{
  /** Host name or address of the relay; a name is also what its certificate must match. */
  host: string;
  port: number;
  /** Implicit TLS from the first byte (port 465, RFC 8314) instead of STARTTLS. */
  secure?: boolean;
  tls?: TlsPolicy;
  ca?: readonly Buffer[];
  /** SMTP AUTH (RFC 4954); nodemailer picks PLAIN or LOGIN from what the relay offers. */
  auth?: Readonly<{ user: string; pass: string }>;
  heloName: string;
  pool?: PoolOptions;
}>;

/**
 * Relays every domain through one host, with pooled sessions per source address. The relay's answers are final;
 * when it cannot be reached every recipient is deferred. Credentials are sent only after STARTTLS unless the
 * relay offers no STARTTLS and `tls` is `opportunistic` (use `required-verified` or `secure` with `auth`).
 */
export const createSmarthostTransport = (options: SmarthostTransportOptions): Transport => {
  const timeouts = timeoutsOf(options);
  return createSinglePeerTransport('smarthost', options.host, options.port, options.pool, (localAddress): SessionSettings => ({
    host: options.host, port: options.port, servername: isIP(options.host) ? null : options.host, localAddress,
    heloName: options.heloName, tls: options.tls ?? 'opportunistic', secure: options.secure ?? false, ca: options.ca ?? [],
    auth: options.auth ?? null, lmtp: false, ...timeouts,
  }));
};
