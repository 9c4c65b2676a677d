import { attemptPeer, reportOf, unreachableOutcomes } from './smtp-attempt.js';
import { SmtpPoolSet } from './smtp-connection-pool.js';
import { limitsOf, type PoolOptions } from './relay-transport.js';
import type { SessionSettings } from './smtp-session.js';
import type { Transport } from './transport-types.js';

/**
 * A transport that sends every request to one fixed peer (a smarthost, an LMTP server), over pooled sessions per
 * source address. The peer's answers are final; when it cannot be reached every recipient is deferred.
 */
export const createSinglePeerTransport = (
  kind: string, host: string, port: number, pool: PoolOptions | undefined, settingsFor: (localAddress: string | null) => SessionSettings,
): Transport => {
  const pools = new SmtpPoolSet(limitsOf(pool));
  const peer = { host, address: host, port };
  return {
    kind,
    async deliver(request) {
      const startedAt = performance.now();
      const attempt = await attemptPeer(pools, { settings: settingsFor(request.localAddress), peer }, request);
      if (attempt.kind === 'final') return reportOf(request, attempt, attempt.outcomes, startedAt);
      return reportOf(request, null, unreachableOutcomes(request, attempt.reply, host), startedAt);
    },
    close: () => pools.close(),
  };
};
