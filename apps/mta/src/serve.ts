import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BlobStore, EventStore } from '@elemta/domain';
import { FileBlobStore, PostgresBlobStore, TieredBlobStore, blobStoreMigrations } from '@elemta/infra/blob-store';
import type { ElemtaConfig } from '@elemta/infra/config';
import { EsdbEventStore } from '@elemta/infra/event-store-esdb';
import { PostgresEventStore, eventStoreMigrations } from '@elemta/infra/event-store-pg';
import { newId } from '@elemta/infra/ids';
import type { Logger } from '@elemta/infra/logger';
import { createMetrics, type Metrics } from '@elemta/infra/metrics';
import {
  createPool, runMigrations, startEmbeddedPostgres, throttleMigrations, type Pool, type RunningPostgres,
} from '@elemta/infra/postgres';
import {
  ProjectionRunner, createMessageReadModel, createQueueReadModel, createStatsReadModel, viewMigrations, viewProjections, viewsProjection,
} from '@elemta/projections';
import { buildSchema } from '@elemta/schema';
import { ApiKeys, apiKeyMigrations } from './auth/api-keys.js';
import { createProjectionAdmin } from './admin/projection-admin.js';
import { AuthFailures, authFailureMigrations } from './auth/auth-failures.js';
import { SmtpUsers, smtpUserMigrations } from './auth/smtp-users.js';
import { createMessageCommands } from './commands/message-commands.js';
import { startDelivery, type RunningDelivery } from './delivery/start-delivery.js';
import { createEventFeed, sharedRuns } from './graphql/event-feed.js';
import { createEventLog } from './graphql/event-log.js';
import { createHttpServer } from './http/http-server.js';
import { zoneSettingsOf } from './http/zone-settings.js';
import { operationRecorder } from './http/operation-metrics.js';
import { collectQueueGauges } from './delivery/queue-gauges.js';
import type { AcceptDeps } from './smtp/accept-message.js';
import { createMailResolver } from '@elemta/infra/dns';
import { startPolicy } from './policy/start-policy.js';
import { createRelayControl } from './smtp/relay-control.js';
import { listenerEntries, startListeners } from './smtp/start-listeners.js';
import { createMessageSubmissions, submissionLimits } from './submit/submit-message.js';

export type RunningElemta = Readonly<{
  /** `smtp`: the first mx listener; `listeners`: every SMTP listener's port by name. */
  ports: { smtp: number; submission: number | null; smtps: number | null; http: number; listeners: Readonly<Record<string, number>> };
  databaseUrl: string;
  /** The admin key when this start created it (first start), else null. */
  createdAdminKey: string | null;
  stop: () => Promise<void>;
}>;

/** A node whose views lag the log by more than this is not ready: reads through it would be stale. */
const READY_MAX_PROJECTION_LAG_SECONDS = 30;

const defaultDashboardDir = () => fileURLToPath(new URL('../../dashboard/out', import.meta.url));

/** Connects to PostgreSQL: the external server of DATABASE_URL, or embedded PostgreSQL in `<data dir>/pg`. */
const startDatabase = async (config: ElemtaConfig, log: Logger): Promise<{ url: string; embedded: RunningPostgres | null }> => {
  if (config.postgres.kind === 'external') return { url: config.postgres.url, embedded: null };
  const embedded = await startEmbeddedPostgres({
    dataDir: join(config.dataDir, 'pg'), port: config.postgres.port, database: 'elemta', log: log.child({ component: 'postgres' }),
    settings: { max_wal_size: '1GB' },
  });
  return { url: embedded.url, embedded };
};

type WakeUps = (wake: () => void) => () => void;

/** The event store of the configuration, with its cheap commit notifications when it has them. */
const createEventStore = (
  config: ElemtaConfig, pool: Pool, url: string, metrics: Metrics, log: Logger,
): { store: EventStore; wakeUps: WakeUps | null; inlineBodies: AcceptDeps['inlineBodies'] | null } => {
  if (config.eventStore.kind === 'esdb') {
    return { store: new EsdbEventStore({ connectionString: config.eventStore.url }), wakeUps: null, inlineBodies: null };
  }
  const store = new PostgresEventStore({
    pool, listenUrl: url, log: log.child({ component: 'event-store' }),
    groupCommit: { maxBatch: config.eventStore.groupCommitMaxBatch },
    onAppend: ({ seconds, batch }) => { metrics.appendDuration.observe(seconds); metrics.appendBatchSize.observe(batch); },
  });
  // Bodies that the blob store would keep in PostgreSQL anyway are committed with their events instead.
  const maxBytes = config.blobStore.kind === 'postgres' ? Number.MAX_SAFE_INTEGER
    : config.blobStore.kind === 'tiered' ? config.blobStore.inlineMaxBytes : -1;
  return {
    store,
    wakeUps: (wake) => store.onCommitted(wake),
    inlineBodies: maxBytes < 0 ? null : { maxBytes, append: (stream, events, options, body) => store.appendWithBody(stream, events, options, body) },
  };
};

/**
 * Starts every role of one Elemta node: database, event store, blob store, projections, policy plugins, the SMTP
 * listeners, HTTP (GraphQL, metrics, health, dashboard) and delivery, in that order, so that nothing accepts mail
 * before the stores are up, and /healthz answers only once SMTP is listening.
 * `stop()` reverses it: listeners stop accepting and finish their sessions, appends drain, projections finish their
 * batch, then the stores and PostgreSQL stop.
 */
export const startElemta = async (config: ElemtaConfig, log: Logger): Promise<RunningElemta> => {
  const closers: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const close of closers.reverse()) {
      try { await close(); } catch (err) { log.error({ err }, 'error during shutdown'); }
    }
    closers.length = 0;
  };
  try {
    mkdirSync(config.dataDir, { recursive: true });
    const db = await startDatabase(config, log);
    if (db.embedded) closers.push(db.embedded.stop);
    const pool = createPool(db.url, { max: config.postgres.poolSize, applicationName: `elemta@${config.node}` });
    closers.push(() => pool.end());
    const metrics = createMetrics();

    const { store, wakeUps, inlineBodies } = createEventStore(config, pool, db.url, metrics, log);
    const applied = await runMigrations(pool, [
      ...(config.eventStore.kind === 'postgres' ? eventStoreMigrations : []),
      ...(config.blobStore.kind === 'file' ? [] : blobStoreMigrations),
      ...viewMigrations,
      ...throttleMigrations,
      ...apiKeyMigrations,
      ...smtpUserMigrations,
      ...authFailureMigrations,
    ]);
    if (applied.length > 0) log.info({ applied }, 'database migrations applied');
    closers.push(() => store.close());

    const files = () => {
      const store = new FileBlobStore({ dir: join(config.dataDir, 'blobs') });
      // in the background: a large store must not delay start-up
      store.sweepTemporaryFiles().then(
        (removed) => { if (removed > 0) log.info({ removed }, 'removed temporary files of interrupted body writes'); },
        (err: unknown) => log.warn({ err }, 'could not sweep temporary body files'),
      );
      return store;
    };
    const blobs: BlobStore = config.blobStore.kind === 'postgres' ? new PostgresBlobStore({ pool })
      : config.blobStore.kind === 'file' ? files()
      : new TieredBlobStore(new PostgresBlobStore({ pool }), files(), config.blobStore.inlineMaxBytes);
    closers.push(() => blobs.close());

    let delivery: RunningDelivery | null = null;
    const runner = new ProjectionRunner({
      pool, store, projections: viewProjections, log: log.child({ component: 'projections' }),
      ...(wakeUps ? { wakeUps } : {}),
      onBatch: ({ projection, events, lagSeconds }) => {
        metrics.projectionEventsProcessed.inc({ projection }, events);
        metrics.projectionLag.set({ projection }, lagSeconds);
        if (projection === viewsProjection.name) delivery?.wake(); // new or changed queue rows: claim now
      },
    });
    await runner.start();
    closers.push(() => runner.stop());

    // One resolver and TTL cache for the node: delivery's MX lookups and the policy plugins' lookups.
    const resolver = createMailResolver({
      ...(config.delivery.dns.servers.length > 0 ? { servers: config.delivery.dns.servers } : {}), timeoutMs: config.delivery.dns.timeout * 1000,
    });
    closers.push(() => resolver.close());
    const entries = listenerEntries(config.smtp);
    const pipeline = await startPolicy({ config, pool, resolver, metrics, log, listenerNames: entries.map((e) => e.name) });
    closers.push(() => pipeline.close());
    const smtp = await startListeners(config, {
      store, blobs, routing: config.delivery.routes, ...(inlineBodies ? { inlineBodies } : {}),
      metrics, node: config.node, hostname: config.hostname, newId, now: () => new Date(),
      auth: { users: new SmtpUsers(pool, store, `system:smtp@${config.node}`, config.node), failures: new AuthFailures(pool) },
      pipeline, relay: createRelayControl(config.smtp.relay),
    }, log);
    closers.push(() => smtp.close());
    const portOf = (role: string) => {
      const entry = entries.find((e) => e.role === role);
      return entry ? smtp.ports.get(entry.name) ?? null : null;
    };

    const actor = `system:http@${config.node}`;
    const keys = new ApiKeys(pool, store, actor, config.node);
    const createdAdminKey = await keys.ensureAdminKey(config.dataDir);
    const readModels = { messages: createMessageReadModel(pool), queue: createQueueReadModel(pool), stats: createStatsReadModel(pool) };
    const zones = zoneSettingsOf(config.delivery.zones);
    collectQueueGauges(readModels.queue, metrics, log);
    const dashboardDir = defaultDashboardDir();
    if (!existsSync(join(dashboardDir, 'index.html'))) log.warn({ dashboardDir }, 'dashboard not built: / will answer 404');
    const bodies = { read: async (sha256: string) => { const b = await blobs.get(sha256); return b ? Buffer.from(b).toString('utf8') : null; } };
    const eventLog = createEventLog(store);
    const commands = createMessageCommands({ store, queue: readModels.queue, node: config.node, now: () => new Date() });
    const submissions = createMessageSubmissions({
      accept: { store, blobs, routing: config.delivery.routes, ...(inlineBodies ? { inlineBodies } : {}) }, pipeline,
      limits: submissionLimits(config.smtp, entries), hostname: config.hostname, node: config.node, newId, now: () => new Date(),
      log: log.child({ component: 'submit' }), metrics,
    });
    const eventFeed = createEventFeed({
      store, messages: readModels.messages, startPosition: () => runner.checkpoint(viewsProjection.name),
      viewsCaughtUp: sharedRuns(() => runner.catchUp()), log: log.child({ component: 'event-feed' }),
    });
    const projectionAdmin = createProjectionAdmin({
      pool, store, projections: viewProjections, node: config.node, log: log.child({ component: 'projections', replay: true }),
    });
    const health = async () => ({
      database: await pool.query('SELECT 1').then(() => true, () => false),
      eventStore: await store.ping().catch(() => false),
    });
    const http = createHttpServer({
      schema: buildSchema(),
      context: (viewer, request) => ({
        viewer, readModels, commands, bodies, eventLog, zones, submissions, events: eventFeed(request), apiKeys: keys, projections: projectionAdmin,
      }),
      authenticate: (key) => keys.verify(key),
      registry: metrics.registry,
      health,
      ready: async () => ({ ...(await health()), projections: runner.lagSeconds() < READY_MAX_PROJECTION_LAG_SECONDS }),
      dashboardDir: existsSync(dashboardDir) ? dashboardDir : null,
      onOperation: operationRecorder(metrics),
      maxBodySize: config.http.maxBodySize, corsOrigins: config.http.corsOrigins,
      log: log.child({ component: 'http' }),
    });
    const httpPort = (await http.listen(config.http.port, config.http.host)).port;
    closers.push(() => http.close());

    if (config.delivery.workers.enabled) {
      const accept = { store, blobs, routing: config.delivery.routes, ...(inlineBodies ? { inlineBodies } : {}) };
      delivery = startDelivery({ config, pool, store, blobs, accept, metrics, log, newId, policy: pipeline, resolver });
      const running = delivery;
      closers.push(() => running.stop());
    }

    const ports = {
      smtp: portOf('mx') ?? [...smtp.ports.values()][0]!, submission: portOf('submission'), smtps: portOf('smtps'), http: httpPort,
      listeners: Object.fromEntries(smtp.ports),
    };
    log.info({ ...ports, dataDir: config.dataDir, eventStore: config.eventStore.kind, delivery: config.delivery.mode }, 'elemta started');
    return { ports, databaseUrl: db.url, createdAdminKey, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
};
