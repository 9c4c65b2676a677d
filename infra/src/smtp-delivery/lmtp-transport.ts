import { attemptPeer, reportOf, timeoutsOf, unreachableOutcomes, type TimeoutOptions } from './smtp-attempt.js';
import { SmtpPoolSet } from './smtp-connection-pool.js';
import { limitsOf, type PoolOptions } from './relay-transport.js';
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
  const pools = new SmtpPoolSet(limitsOf(options.pool));
  const timeouts = timeoutsOf(options);
  const settingsFor = (localAddress: string | null): SessionSettings => ({
    host: options.host, port: options.port, servername: null, localAddress, heloName: options.heloName,
    tls: options.tls ?? 'none', secure: false, ca: options.ca ?? [], auth: null, lmtp: true, ...timeouts,
  });
  return {
    kind: 'lmtp',
    async deliver(request) {
      const startedAt = performance.now();
      const peer = { host: options.host, address: options.host, port: options.port };
      const attempt = await attemptPeer(pools, { settings: settingsFor(request.localAddress), peer }, request);
      if (attempt.kind === 'final') return reportOf(request, attempt, attempt.outcomes, startedAt);
      return reportOf(request, null, unreachableOutcomes(request, attempt.reply, options.host), startedAt);
    },
    close: () => pools.close(),
  };
};
