import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Appends are group-committed and fsync'd: expected between ~0.5 ms and ~100 ms, so the buckets are
 * dense there and coarse beyond (a slow disk or a lock wait shows up in the last ones).
 */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1,
  0.25, 0.5, 1, 2.5,
];
export const BATCH_SIZE_BUCKETS: readonly number[] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 500, 1000];

export type Metrics = Readonly<{
  /** A registry of this process only (never prom-client's global one), served at `/metrics`. */
  registry: Registry;
  smtpSessions: Counter<'listener'>;
  smtpSessionsActive: Gauge<'listener'>;
  messagesAccepted: Counter<'listener'>;
  /** `code` is the SMTP reply code (e.g. "550"); never a message id or an address. */
  messagesRejected: Counter<'listener' | 'code'>;
  /** One per AUTH attempt: `outcome` is success, failure, throttled, encryption_required or error. */
  smtpAuth: Counter<'listener' | 'outcome'>;
  /** One per TLS session established (STARTTLS or implicit TLS), by negotiated protocol version. */
  smtpTlsSessions: Counter<'listener' | 'protocol'>;
  /** SMTP connections refused before the greeting's hooks: `reason` is max_connections or max_connections_per_ip. */
  smtpConnectionsRefused: Counter<'listener' | 'reason'>;
  /** One per policy hook run: `verdict` is continue, tag, accept, reject, tempfail, quarantine or error. */
  policyVerdicts: Counter<'plugin' | 'stage' | 'verdict'>;
  policyHookDuration: Histogram<'plugin' | 'stage'>;
  appendDuration: Histogram;
  appendBatchSize: Histogram;
  projectionLag: Gauge<'projection'>;
  projectionEventsProcessed: Counter<'projection'>;
  blobWriteDuration: Histogram;
  /** One per recipient outcome of an attempt: `outcome` is delivered, deferred, bounced or expired. */
  deliveries: Counter<'zone' | 'outcome'>;
  /** One per attempt (one SMTP transaction or local delivery). */
  deliveryDuration: Histogram<'zone' | 'route'>;
  /** Recipients in the queue view, by status and zone (read from PostgreSQL when scraped). */
  queueSize: Gauge<'status' | 'zone'>;
  /** Age of the oldest message still in the queue. */
  queueOldestAge: Gauge;
  /** Deliveries that found their recipients already settled (a lease ran out mid-delivery). */
  deliveryDuplicates: Counter<'zone'>;
  /** GraphQL operations by name (anonymous ones as `anonymous`, unknown names capped) and type, with their outcome. */
  graphqlOperations: Histogram<'operation' | 'type' | 'outcome'>;
  /** Sets the function that fills the queue gauges; it runs on every scrape of `/metrics`. */
  collectQueue: (collector: () => Promise<void>) => void;
}>;

/** Delivery attempts take from milliseconds (loopback, capture) to minutes (a slow MX, a timeout). */
export const DELIVERY_BUCKETS_SECONDS: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * Builds every Elemta metric on a fresh Registry, with Node's default process metrics registered on it too.
 * Names follow `elemta_<area>_<what>_<unit>` (STYLE §10); labels have a small, fixed set of values.
 */
export const createMetrics = (): Metrics => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let queueCollector: (() => Promise<void>) | null = null;
  return {
    registry,
    smtpSessions: new Counter({
      name: 'elemta_smtp_sessions_total', help: 'SMTP connections accepted', labelNames: ['listener'], registers,
    }),
    smtpSessionsActive: new Gauge({
      name: 'elemta_smtp_sessions_active', help: 'SMTP connections open now', labelNames: ['listener'], registers,
    }),
    messagesAccepted: new Counter({
      name: 'elemta_smtp_messages_accepted_total', help: 'Messages answered with 250 after DATA', labelNames: ['listener'], registers,
    }),
    messagesRejected: new Counter({
      name: 'elemta_smtp_messages_rejected_total', help: 'Messages refused with a 4xx or 5xx reply', labelNames: ['listener', 'code'], registers,
    }),
    smtpAuth: new Counter({
      name: 'elemta_smtp_auth_total', help: 'SMTP AUTH attempts by outcome', labelNames: ['listener', 'outcome'], registers,
    }),
    smtpTlsSessions: new Counter({
      name: 'elemta_smtp_tls_sessions_total', help: 'TLS sessions established on SMTP listeners, by protocol version', labelNames: ['listener', 'protocol'], registers,
    }),
    smtpConnectionsRefused: new Counter({
      name: 'elemta_smtp_connections_refused_total', help: 'SMTP connections refused by a connection limit', labelNames: ['listener', 'reason'], registers,
    }),
    policyVerdicts: new Counter({
      name: 'elemta_policy_verdicts_total', help: 'Policy hook results by plugin, stage and verdict (error: the hook threw or timed out)',
      labelNames: ['plugin', 'stage', 'verdict'], registers,
    }),
    policyHookDuration: new Histogram({
      name: 'elemta_policy_hook_duration_seconds', help: 'Time a policy hook took', labelNames: ['plugin', 'stage'],
      buckets: [...LATENCY_BUCKETS_SECONDS], registers,
    }),
    appendDuration: new Histogram({
      name: 'elemta_eventstore_append_duration_seconds', help: 'Time from append call to durable commit',
      buckets: [...LATENCY_BUCKETS_SECONDS], registers,
    }),
    appendBatchSize: new Histogram({
      name: 'elemta_eventstore_append_batch_size_appends', help: 'Appends committed together in one group commit',
      buckets: [...BATCH_SIZE_BUCKETS], registers,
    }),
    projectionLag: new Gauge({
      name: 'elemta_projection_lag_seconds', help: 'Age of the newest event a projection has applied', labelNames: ['projection'], registers,
    }),
    projectionEventsProcessed: new Counter({
      name: 'elemta_projection_events_processed_total', help: 'Events applied by a projection', labelNames: ['projection'], registers,
    }),
    blobWriteDuration: new Histogram({
      name: 'elemta_blobstore_write_duration_seconds', help: 'Time for a body to become durable in the blob store',
      buckets: [...LATENCY_BUCKETS_SECONDS], registers,
    }),
    deliveries: new Counter({
      name: 'elemta_delivery_recipients_total', help: 'Recipient outcomes of delivery attempts', labelNames: ['zone', 'outcome'], registers,
    }),
    deliveryDuration: new Histogram({
      name: 'elemta_delivery_attempt_duration_seconds', help: 'Duration of one delivery attempt', labelNames: ['zone', 'route'],
      buckets: [...DELIVERY_BUCKETS_SECONDS], registers,
    }),
    // one collector fills both gauges; prom-client collects the gauges of a registry in order, so it runs first
    queueSize: new Gauge({
      name: 'elemta_queue_recipients', help: 'Recipients waiting in the queue', labelNames: ['status', 'zone'], registers,
      collect: async () => { await queueCollector?.(); },
    }),
    queueOldestAge: new Gauge({
      name: 'elemta_queue_oldest_message_age_seconds', help: 'Age of the oldest message in the queue (0 when empty)', registers,
    }),
    deliveryDuplicates: new Counter({
      name: 'elemta_delivery_duplicates_total', help: 'Attempts whose recipients another worker had already settled', labelNames: ['zone'], registers,
    }),
    graphqlOperations: new Histogram({
      name: 'elemta_graphql_operation_duration_seconds', help: 'GraphQL operations executed, by operation name, type and outcome',
      labelNames: ['operation', 'type', 'outcome'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers,
    }),
    collectQueue: (collector) => { queueCollector = collector; },
  };
};
