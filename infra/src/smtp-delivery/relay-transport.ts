import type { SmtpReply } from '@elemta/domain';
import { InvalidDomainError } from '../dns/domain-name.js';
import { DnsTemporaryError, type Destination, type MailExchanger, type MailResolver } from '../dns/dns-types.js';
import { attemptPeer, reportOf, timeoutsOf, unreachableOutcomes, type PeerAttempt, type TimeoutOptions } from './smtp-attempt.js';
import { defaultPoolLimits, SmtpPoolSet } from './smtp-connection-pool.js';
import { outcomesWithReply } from './smtp-outcome.js';
import type { SessionSettings, TlsPolicy } from './smtp-session.js';
import type { DeliveryReport, DeliveryRequest, Transport } from './transport-types.js';

export type PoolOptions = Readonly<{
  /** Sessions open at once to one peer address (default 5). */
  maxConnectionsPerDestination?: number;
  /** Transactions per session before it is closed (default 100). */
  maxMessagesPerConnection?: number;
  /** An unused session is closed after this long (default 30 s). */
  idleTimeoutMs?: number;
}>;

export type RelayTransportOptions = TimeoutOptions & Readonly<{
  resolver: MailResolver;
  /** Port of every MX (default 25; tests use a free port). */
  port?: number;
  tls?: TlsPolicy;
  /** Extra trust anchors (PEM) for `required-verified`. */
  ca?: readonly Buffer[];
  /** The name sent in EHLO. */
  heloName: string;
  pool?: PoolOptions;
}>;

export const limitsOf = (pool: PoolOptions | undefined) => ({
  maxConnections: pool?.maxConnectionsPerDestination ?? defaultPoolLimits.maxConnections,
  maxMessagesPerConnection: pool?.maxMessagesPerConnection ?? defaultPoolLimits.maxMessagesPerConnection,
  idleTimeoutMs: pool?.idleTimeoutMs ?? defaultPoolLimits.idleTimeoutMs,
});

const dnsReply = (code: number, enhancedCode: string, text: string): SmtpReply => ({ code, enhancedCode, text, command: 'DNS' });

/** Replies for destinations that accept no mail; all permanent (RFC 7505 §4.1 for null MX, RFC 3463 X.1.2 otherwise). */
const noDestinationReply = (destination: Exclude<Destination, { kind: 'exchangers' }>, domain: string): SmtpReply => {
  switch (destination.kind) {
    case 'nullMx': return dnsReply(556, '5.1.10', `${domain} does not accept mail (null MX, RFC 7505)`);
    case 'noSuchDomain': return dnsReply(550, '5.1.2', `${domain}: no such domain (NXDOMAIN)`);
    case 'noMailHost': return dnsReply(550, '5.1.2', `${domain} has no mail host (no MX, A or AAAA record)`);
  }
};

/**
 * Delivers to the domain's MX hosts (RFC 5321 §5.1): exchangers in preference order and each of their addresses in
 * order; the next address is tried when one cannot be reached (refused, timeout, 4xx greeting or EHLO, failed TLS),
 * and the first host that answers the transaction (or answers 5xx before it) decides. Sessions are pooled per
 * (address, port, source address, TLS policy). DNS: permanent answers bounce every recipient, DnsTemporaryError
 * defers them (451 4.4.3); other resolver errors are bugs and are thrown.
 */
export const createRelayTransport = (options: RelayTransportOptions): Transport => {
  const pools = new SmtpPoolSet(limitsOf(options.pool));
  const timeouts = timeoutsOf(options);
  const port = options.port ?? 25;

  const settingsFor = (exchange: string, address: string, localAddress: string | null): SessionSettings => ({
    host: address, port, servername: exchange.replace(/\.$/, ''), localAddress, heloName: options.heloName,
    tls: options.tls ?? 'opportunistic', secure: false, ca: options.ca ?? [], auth: null, lmtp: false, ...timeouts,
  });

  const tryExchangers = async (
    request: DeliveryRequest, exchangers: readonly MailExchanger[], startedAt: number,
  ): Promise<DeliveryReport> => {
    let last: PeerAttempt | null = null;
    for (const exchanger of exchangers) {
      for (const address of exchanger.addresses) {
        const peer = { host: exchanger.exchange.replace(/\.$/, ''), address, port };
        last = await attemptPeer(pools, { settings: settingsFor(exchanger.exchange, address, request.localAddress), peer }, request);
        if (last.kind === 'final') return reportOf(request, last, last.outcomes, startedAt);
      }
    }
    const outcomes = unreachableOutcomes(request, last?.kind === 'unreachable' ? last.reply : null, request.domain);
    return reportOf(request, null, outcomes, startedAt);
  };

  return {
    kind: 'relay',
    async deliver(request) {
      const startedAt = performance.now();
      let destination: Destination;
      try {
        destination = await options.resolver.resolveDestination(request.domain);
      } catch (error) {
        if (error instanceof InvalidDomainError) {
          // RFC 5321 §4.1.2: no deliverable domain, now or later
          const text = request.domain === '' ? 'recipient address has no domain' : `invalid recipient domain "${request.domain}"`;
          return reportOf(request, null, outcomesWithReply(request.recipients, dnsReply(553, '5.1.3', text)), startedAt);
        }
        if (!(error instanceof DnsTemporaryError)) throw error;
        const reply = dnsReply(451, '4.4.3', `MX lookup for ${request.domain} failed temporarily (${error.rcode}): ${error.message}`);
        return reportOf(request, null, outcomesWithReply(request.recipients, reply), startedAt);
      }
      if (destination.kind !== 'exchangers') {
        return reportOf(request, null, outcomesWithReply(request.recipients, noDestinationReply(destination, request.domain)), startedAt);
      }
      return tryExchangers(request, destination.exchangers, startedAt);
    },
    close: () => pools.close(),
  };
};
