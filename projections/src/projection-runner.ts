import type { EventStore, GlobalPosition, RecordedEvent, Subscription } from '@elemta/domain';
import type pg from 'pg';
import { lockCheckpoint, readCheckpoint, saveCheckpoint } from './checkpoints.js';
import { silentLog, type Projection, type ProjectionLog } from './projection.js';

export type BatchInfo = Readonly<{ projection: string; events: number; lagSeconds: number }>;

export type ProjectionRunnerOptions = Readonly<{
  pool: pg.Pool;
  store: EventStore;
  projections: readonly Projection[];
  /** Events per transaction (500). */
  batchSize?: number;
  log?: ProjectionLog;
  /** Called after each committed batch that held events. */
  onBatch?: (info: BatchInfo) => void;
  /** How often to look for events when no wake-up arrives (1000 ms); the subscription is only a fast path. */
  pollIntervalMs?: number;
  /**
   * A cheap source of wake-ups (e.g. PostgresEventStore.onCommitted): called with `wake`, returns a stop function.
   * Without it the runner subscribes to the store, which reads every new event only to learn that there are some.
   */
  wakeUps?: (wake: () => void) => () => void;
  /** After a wake-up, how long to let further appends gather before the next batch (25 ms). */
  coalesceMs?: number;
  /** How long to wait before retrying a checkpoint held by another runner (200 ms). */
  lockRetryMs?: number;
  /** The clock for the lag value; views never read it. */
  now?: () => number;
}>;

type BatchResult = { kind: 'busy' } | { kind: 'done'; count: number; full: boolean };
type ProjectionState = { lagSeconds: number; failures: number; retryAt: number; position: GlobalPosition | null; recordedAt: string | null };

const MAX_BACKOFF_MS = 30_000;
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Keeps projections up to date with the event log.
 *
 * Guarantees:
 * - each batch is one PostgreSQL transaction: checkpoint row locked (`FOR UPDATE`), events read after it,
 *   view rows written, checkpoint advanced, COMMIT; so every event affects a view exactly once, and a crash or a
 *   failing `apply` leaves view and checkpoint as they were (the batch is retried with backoff);
 * - one active runner per projection across processes: a runner that finds the checkpoint locked waits quietly;
 * - within one runner, batches run one at a time (the background loop and `catchUp` share a queue).
 */
export class ProjectionRunner {
  private readonly pool: pg.Pool;
  private readonly store: EventStore;
  private readonly projections: readonly Projection[];
  private readonly batchSize: number;
  private readonly log: ProjectionLog;
  private readonly onBatch: ((info: BatchInfo) => void) | undefined;
  private readonly pollIntervalMs: number;
  private readonly coalesceMs: number;
  private readonly lockRetryMs: number;
  private readonly now: () => number;
  private readonly states = new Map<string, ProjectionState>();
  private queue: Promise<unknown> = Promise.resolve();
  private loopDone: Promise<void> | null = null;
  private stopping = false;
  private woken = false;
  private wakeWaiter: (() => void) | null = null;
  private subscription: Subscription | null = null;
  private readonly wakeUps: ((wake: () => void) => () => void) | undefined;
  private stopWakeUps: (() => void) | null = null;

  constructor(options: ProjectionRunnerOptions) {
    this.pool = options.pool;
    this.store = options.store;
    this.projections = options.projections;
    this.batchSize = options.batchSize ?? 500;
    this.log = options.log ?? silentLog;
    this.onBatch = options.onBatch;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.coalesceMs = options.coalesceMs ?? 25;
    this.wakeUps = options.wakeUps;
    this.lockRetryMs = options.lockRetryMs ?? 200;
    this.now = options.now ?? Date.now;
    for (const p of this.projections) {
      this.states.set(p.name, { lagSeconds: 0, failures: 0, retryAt: 0, position: null, recordedAt: null });
    }
  }

  /** Starts processing in the background; returns at once. Failures are logged and retried, never thrown. */
  start(): void {
    if (this.loopDone) return;
    this.stopping = false;
    this.loopDone = this.loop();
  }

  /** Finishes the batch in progress, then stops the loop and the wake-up subscription. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loopDone;
    this.loopDone = null;
    this.stopWakeUps?.();
    this.stopWakeUps = null;
    const subscription = this.subscription;
    this.subscription = null;
    await subscription?.stop().catch(() => {});
  }

  /**
   * Resolves once every projection has processed all events committed before the call (a read after its
   * checkpoint came back empty). Rejects with the error of a failing batch, whose changes were rolled back.
   */
  async catchUp(): Promise<void> {
    for (const p of this.projections) {
      for (;;) {
        const result = await this.exclusive(() => this.runBatch(p));
        if (result.kind === 'busy') await delay(this.lockRetryMs);
        else if (result.count === 0) break;
      }
    }
  }

  /**
   * The committed checkpoint of a projection, as stored (so also what another node's runner committed): the position
   * of the last event its views include, or null before the first.
   */
  async checkpoint(projection: string): Promise<GlobalPosition | null> {
    return readCheckpoint(this.pool, projection);
  }

  /** Seconds between now and the last processed event while a projection is behind, else 0 (the largest when no name). */
  lagSeconds(projection?: string): number {
    if (projection !== undefined) return this.states.get(projection)?.lagSeconds ?? 0;
    return Math.max(0, ...[...this.states.values()].map((s) => s.lagSeconds));
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      this.woken = false;
      const more = await this.pass();
      if (this.stopping) break;
      if (!more) {
        this.subscribeOnce();
        await this.sleep(this.nextWaitMs());
        // Woken by an append: let the appends of the next few milliseconds join, so one transaction carries a burst
        // instead of one append's worth (visibility stays well under a second).
        if (this.coalesceMs > 0 && !this.stopping) await delay(this.coalesceMs);
      }
    }
  }

  /** One batch per projection; true when one of them is still behind. */
  private async pass(): Promise<boolean> {
    let more = false;
    for (const p of this.projections) {
      if (this.stopping) break;
      const state = this.state(p);
      if (state.retryAt > this.now()) continue;
      try {
        const result = await this.exclusive(() => this.runBatch(p));
        if (state.failures > 0) this.log.info({ projection: p.name }, 'projection recovered');
        state.failures = 0;
        if (result.kind === 'busy') this.log.debug({ projection: p.name }, 'projection checkpoint held by another runner');
        else if (result.full) more = true;
      } catch (err) {
        state.failures += 1;
        const backoff = Math.min(MAX_BACKOFF_MS, this.lockRetryMs * 2 ** state.failures);
        state.retryAt = this.now() + backoff;
        this.log.error({ err, projection: p.name, failures: state.failures, retryInMs: backoff }, 'projection batch failed');
      }
    }
    return more;
  }

  private async runBatch(p: Projection): Promise<BatchResult> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      // A projection commit need not wait for its WAL flush: view rows and checkpoint commit together, so a crash
      // loses both and the events are applied again from the log, which is durable. Not waiting keeps projection
      // commits from competing with the appends (SMTP acknowledgements) for flushes.
      await client.query('BEGIN; SET LOCAL synchronous_commit = off');
      const checkpoint = await lockCheckpoint(client, p);
      if (!checkpoint) {
        await client.query('ROLLBACK');
        return { kind: 'busy' };
      }
      const events = await this.store.readAll({
        after: checkpoint.position, limit: this.batchSize, ...(p.handles === 'all' ? {} : { types: p.handles }),
      });
      const last = events.at(-1);
      if (last) {
        await p.apply(client, events);
        await saveCheckpoint(client, p, last, events.length);
      }
      await client.query('COMMIT');
      this.recordProgress(p, checkpoint, last, events.length);
      return { kind: 'done', count: events.length, full: events.length >= this.batchSize };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => { broken = true; });
      throw err;
    } finally {
      client.release(broken);
    }
  }

  private recordProgress(
    p: Projection, checkpoint: { position: GlobalPosition | null; lastRecordedAt: string | null },
    last: RecordedEvent | undefined, count: number,
  ): void {
    const state = this.state(p);
    state.position = last?.metadata.position ?? checkpoint.position;
    state.recordedAt = last?.metadata.recordedAt ?? checkpoint.lastRecordedAt;
    const behind = last !== undefined && count >= this.batchSize;
    state.lagSeconds = behind ? Math.max(0, (this.now() - Date.parse(last.metadata.recordedAt)) / 1000) : 0;
    if (last) this.onBatch?.({ projection: p.name, events: count, lagSeconds: state.lagSeconds });
  }

  private state(p: Projection): ProjectionState {
    const state = this.states.get(p.name);
    if (!state) throw new Error(`unknown projection ${p.name}`);
    return state;
  }

  private nextWaitMs(): number {
    const retries = [...this.states.values()].filter((s) => s.failures > 0).map((s) => s.retryAt - this.now());
    return Math.max(0, Math.min(this.pollIntervalMs, ...retries));
  }

  private wake(): void {
    this.woken = true;
    this.wakeWaiter?.();
  }

  private async sleep(ms: number): Promise<void> {
    if (this.woken || this.stopping) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeWaiter = done;
    });
    this.wakeWaiter = null;
  }

  /**
   * Subscribes for wake-ups once caught up, from the newest checkpoint this runner knows (by recorded time,
   * since positions are opaque), so the store does not replay history just to signal. Polling covers its failure.
   */
  private subscribeOnce(): void {
    if (this.subscription || this.stopWakeUps || this.stopping) return;
    if (this.wakeUps) {
      this.stopWakeUps = this.wakeUps(() => this.wake());
      this.wake();
      return;
    }
    const at = (s: ProjectionState | null): number => (s?.recordedAt ? Date.parse(s.recordedAt) : -Infinity);
    const newest = [...this.states.values()].reduce<ProjectionState | null>((best, s) => (at(s) > at(best) ? s : best), null);
    const types = this.projections.some((p) => p.handles === 'all')
      ? undefined : [...new Set(this.projections.flatMap((p) => p.handles as readonly string[]))];
    const subscription = this.store.subscribeToAll(
      { after: newest?.position ?? null, batchSize: this.batchSize, ...(types ? { types } : {}) },
      async () => this.wake(),
    );
    this.subscription = subscription;
    // It starts after the newest checkpoint: one more pass picks up what older ones have not read yet.
    this.wake();
    subscription.done.catch((err: unknown) => {
      this.log.warn({ err }, 'projection wake-up subscription failed; polling');
      if (this.subscription === subscription) this.subscription = null;
    });
  }
}
