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
import { createPool, runMigrations, startEmbeddedPostgres, throttleMigrations, type Pool, type RunningPostgres } from '@elemta/infra/postgres';
import {
  ProjectionRunner, createMessageReadModel, createQueueReadModel, viewMigrations, viewProjections, viewsProjection,
} from '@elemta/projections';
import { buildSchema } from '@elemta/schema';
import { ApiKeys, apiKeyMigrations } from './auth/api-keys.js';
import { AuthFailures, authFailureMigrations } from './auth/auth-failures.js';
import { SmtpUsers, smtpUserMigrations } from './auth/smtp-users.js';
import { createMessageCommands } from './commands/message-commands.js';
import { startDelivery, type RunningDelivery } from './delivery/start-delivery.js';
import { createHttpServer } from './http/http-server.js';
import { operationRecorder } from './http/operation-metrics.js';
import { collectQueueGauges } from './delivery/queue-gauges.js';
import type { AcceptDeps } from './smtp/accept-message.js';
import { createInboundListener, type InboundListener } from './smtp/inbound-listener.js';

export type RunningElemta = Readonly<{
  ports: { smtp: number; submission: number | null; http: number };
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
 * Starts every role of one Elemta node: database, event store, blob store, projections, HTTP (GraphQL, metrics,
 * health, dashboard) and the SMTP listeners, in that order, so that nothing accepts mail before the stores are up.
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

    const actor = `system:http@${config.node}`;
    const keys = new ApiKeys(pool, store, actor, config.node);
    const createdAdminKey = await keys.ensureAdminKey(config.dataDir);
    const readModels = { messages: createMessageReadModel(pool), queue: createQueueReadModel(pool) };
    collectQueueGauges(readModels.queue, metrics, log);
    const dashboardDir = defaultDashboardDir();
    if (!existsSync(join(dashboardDir, 'index.html'))) log.warn({ dashboardDir }, 'dashboard not built: / will answer 404');
    const bodies = { read: async (sha256: string) => { const b = await blobs.get(sha256); return b ? Buffer.from(b).toString('utf8') : null; } };
    const commands = createMessageCommands({ store, queue: readModels.queue, node: config.node, now: () => new Date() });
    const http = createHttpServer({
      schema: buildSchema(),
      context: (viewer) => ({ viewer, readModels, commands, bodies }),
      authenticate: (key) => keys.verify(key),
      registry: metrics.registry,
      health: async () => ({
        database: await pool.query('SELECT 1').then(() => true, () => false),
        eventStore: await store.ping().catch(() => false),
      }),
      ready: async () => ({
        database: await pool.query('SELECT 1').then(() => true, () => false),
        eventStore: await store.ping().catch(() => false),
        projections: runner.lagSeconds() < READY_MAX_PROJECTION_LAG_SECONDS,
      }),
      dashboardDir: existsSync(dashboardDir) ? dashboardDir : null,
      onOperation: operationRecorder(metrics),
      log: log.child({ component: 'http' }),
    });
    const httpPort = (await http.listen(config.http.port, config.http.host)).port;
    closers.push(() => http.close());

    const smtpDeps = {
      store, blobs, routing: config.delivery.routes, log: log.child({ component: 'smtp' }), ...(inlineBodies ? { inlineBodies } : {}),
      metrics, node: config.node, hostname: config.hostname, newId, now: () => new Date(),
      auth: { users: new SmtpUsers(pool, store, `system:smtp@${config.node}`, config.node), failures: new AuthFailures(pool) },
    };
    const listenerConfig = {
      host: config.smtp.host, maxMessageSize: config.smtp.maxMessageSize, maxRecipients: config.smtp.maxRecipients,
      socketTimeoutMs: config.smtp.socketTimeoutMs, closeTimeoutMs: config.smtp.closeTimeoutMs,
      disableReverseLookup: config.smtp.disableReverseLookup,
      auth: {
        allowInsecureAuth: config.smtp.allowInsecureAuth, maxFailures: config.smtp.authMaxFailures, failureDelayMs: config.smtp.authFailureDelayMs,
      },
    };
    const listeners: InboundListener[] = [createInboundListener({ ...listenerConfig, name: 'mx', role: 'mx', port: config.smtp.port }, smtpDeps)];
    if (config.smtp.submissionPort !== 0) {
      listeners.push(createInboundListener({ ...listenerConfig, name: 'submission', role: 'submission', port: config.smtp.submissionPort }, smtpDeps));
    }
    closers.push(async () => { await Promise.all(listeners.map((l) => l.close())); });
    const smtpPorts = await Promise.all(listeners.map((l) => l.listen()));

    if (config.delivery.workers.enabled) {
      const accept = { store, blobs, routing: config.delivery.routes, ...(inlineBodies ? { inlineBodies } : {}) };
      delivery = startDelivery({ config, pool, store, blobs, accept, metrics, log, newId });
      const running = delivery;
      closers.push(() => running.stop());
    }

    const ports = { smtp: smtpPorts[0]!.port, submission: smtpPorts[1]?.port ?? null, http: httpPort };
    log.info({ ...ports, dataDir: config.dataDir, eventStore: config.eventStore.kind, delivery: config.delivery.mode }, 'elemta started');
    return { ports, databaseUrl: db.url, createdAdminKey, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
};
