import { randomInt } from 'node:crypto';
import {
  asMessageId, messageStream, type BlobStore, type EventStore, type MessageEvent, type RetryPolicy,
} from '@elemta/domain';
import type { ElemtaConfig } from '@elemta/infra/config';
import type { MailResolver } from '@elemta/infra/dns';
import type { Logger } from '@elemta/infra/logger';
import type { Metrics } from '@elemta/infra/metrics';
import { createBatcher, ThrottleStore, type Pool } from '@elemta/infra/postgres';
import { claimDueMessages, deleteExpiredLeases, dropClaims, pendingDsns, releaseClaims, renewLeases } from '@elemta/projections';
import type { AcceptDeps } from '../smtp/accept-message.js';
import type { PolicyPipeline } from '../policy/pipeline.js';
import { deliverMessage, type DeliveryDeps } from './deliver-message.js';
import { DeliveryWorker, type DeliveryQueue } from './delivery-worker.js';
import { sendDsn, type DsnDeps } from './dsn-sender.js';
import { createMessageSigner } from './message-signer.js';
import { buildTransports } from './transports.js';
import { ZoneRuntime } from './zone-runtime.js';

export type RunningDelivery = Readonly<{ wake: () => void; stop: () => Promise<void> }>;

export type DeliveryServices = Readonly<{
  config: ElemtaConfig;
  pool: Pool;
  store: EventStore;
  blobs: BlobStore;
  accept: AcceptDeps;
  metrics: Metrics;
  log: Logger;
  newId: () => string;
  /** The policy pipeline, for its delivery stage. */
  policy?: PolicyPipeline | null;
  /** The node's resolver (shared with the policy plugins: one TTL cache); its owner closes it. */
  resolver: MailResolver;
}>;

export const retryPolicyOf = (retry: ElemtaConfig['delivery']['retry']): RetryPolicy => ({
  initialDelaySeconds: retry.initialDelay, multiplier: retry.multiplier, maxDelaySeconds: retry.maxDelay,
  jitterRatio: retry.jitter, maxQueueSeconds: retry.maxQueueTime,
});

/** Creates the DSNs of BounceQueued events whose DSN a crash left uncreated. */
const sweepDsns = async (pool: Pool, store: EventStore, dsn: DsnDeps): Promise<void> => {
  for (const pending of await pendingDsns(pool, { olderThanMs: 30_000, limit: 100 })) {
    const { events } = await store.readStream<MessageEvent>(messageStream(asMessageId(pending.messageId)));
    const bounce = events.find((e) => e.type === 'BounceQueued' && e.data.dsnMessageId === pending.dsnMessageId);
    if (bounce?.type === 'BounceQueued') await sendDsn(dsn, pending.messageId, bounce.data);
  }
};

/**
 * Starts the delivery workers of this node: transports per route, zones with their throttles, the DSN path, and the
 * worker loop over the `queue` view. Any number of nodes may run this against one database. Throws a ConfigError,
 * before creating anything, when a signing key of `delivery.signing` cannot be used.
 */
export const startDelivery = (s: DeliveryServices): RunningDelivery => {
  const { config, pool, store, log } = s;
  const d = config.delivery;
  const signer = createMessageSigner({
    signing: d.signing, hostname: config.hostname, relayNetworks: config.smtp.relay.networks, log: log.child({ component: 'signing' }),
  });
  const transports = buildTransports(d.transports, { resolver: s.resolver, heloName: config.hostname });
  const throttles = new ThrottleStore(pool);
  const zones = new Map(Object.entries(d.zones).map(([name, zone]) => [name, new ZoneRuntime(name, zone, (l) => throttles.take(l))]));
  const dsn: DsnDeps = { accept: s.accept, store, hostname: config.hostname, node: config.node, now: () => new Date(), log: log.child({ component: 'dsn' }) };
  const onAppended = async (messageId: string, events: readonly MessageEvent[]) => {
    for (const e of events) {
      if (e.type !== 'BounceQueued') continue;
      // a failure here leaves the DSN to the sweeper; the attempt itself is recorded
      await sendDsn(dsn, messageId, e.data).catch((err: unknown) => dsn.log.error({ err, messageId }, 'could not queue a DSN; the sweeper retries'));
    }
  };
  const deps: DeliveryDeps = {
    store, blobs: s.blobs, transports, zones, defaultZone: d.routes.defaultZone, retry: retryPolicyOf(d.retry), node: config.node,
    newId: s.newId, now: () => new Date(), random: () => randomInt(0, 1_000_000) / 1_000_000, metrics: s.metrics,
    log: log.child({ component: 'delivery' }), onAppended, signer, policy: s.policy ?? null,
  };
  const owner = `${config.node}/${process.pid}/${s.newId()}`;
  const leaseMs = d.workers.lease * 1000;
  // releases of one event-loop turn go in one UPDATE per hold-off
  const releases = createBatcher<{ id: string; holdOffMs: number }, void>(async (items) => {
    const byHoldOff = new Map<number, string[]>();
    for (const { id, holdOffMs } of items) byHoldOff.set(holdOffMs, [...(byHoldOff.get(holdOffMs) ?? []), id]);
    await Promise.all([...byHoldOff].map(([holdOffMs, ids]) => releaseClaims(pool, owner, ids, holdOffMs)));
    return items.map(() => undefined);
  }, 500);
  // settled messages' claims are dropped in bulk: one DELETE a second instead of one UPDATE per message
  let settled: string[] = [];
  const forgetSettled = async () => {
    const ids = settled;
    settled = [];
    if (ids.length > 0) await dropClaims(pool, owner, ids);
  };
  const forgetTimer = setInterval(() => { forgetSettled().catch((err: unknown) => log.warn({ err }, 'could not drop settled claims')); }, 1000);
  forgetTimer.unref();
  const queue: DeliveryQueue = {
    claim: (limit) => claimDueMessages(pool, { owner, leaseMs, limit }),
    release: async (ids, holdOffMs) => { await Promise.all(ids.map((id) => releases.add({ id, holdOffMs: Math.round(holdOffMs) }))); },
    renew: (ids) => renewLeases(pool, owner, ids, leaseMs),
    forget: (ids) => { settled.push(...ids); },
    housekeeping: async () => {
      await deleteExpiredLeases(pool, 60_000);
      await throttles.prune(2 * 86_400);
      await sweepDsns(pool, store, dsn);
    },
  };
  const worker = new DeliveryWorker({
    queue, deliver: (id) => deliverMessage(deps, id), concurrency: d.workers.concurrency, batchSize: d.workers.batchSize,
    leaseMs, pollIntervalMs: d.workers.pollInterval * 1000, now: () => new Date(), log: deps.log,
  });
  worker.start();
  return {
    wake: () => worker.wake(),
    stop: async () => {
      await worker.stop();
      clearInterval(forgetTimer);
      await forgetSettled().catch(() => {});
      await Promise.allSettled([...transports.values()].map((t) => t.close()));
    },
  };
};
