import pg from 'pg';
import type { GlobalPosition, RecordedEvent, SubscribeOptions, Subscription } from '@elemta/domain';
import { EVENTS_CHANNEL } from './migrations.js';

export type StoreLog = Readonly<{ warn(obj: object, msg: string): void; error(obj: object, msg: string): void }>;

/**
 * One dedicated connection that LISTENs for inserts and wakes every subscription of the store. It reconnects
 * with backoff (0.25 s doubling to 5 s) after an error; subscriptions poll meanwhile, so nothing is lost, only later.
 */
export class PgNotifier {
  readonly #url: string;
  readonly #log: StoreLog | undefined;
  readonly #listeners = new Set<() => void>();
  #client: pg.Client | null = null;
  #started = false;
  #closed = false;
  #backoffMs = 250;
  #retry: NodeJS.Timeout | null = null;

  constructor(url: string, log?: StoreLog) {
    this.#url = url;
    this.#log = log;
  }

  /** Calls `wake` after each notification and after each (re)connect; returns the unsubscribe function. */
  subscribe(wake: () => void): () => void {
    this.#listeners.add(wake);
    if (!this.#started) {
      this.#started = true;
      void this.#connect();
    }
    return () => this.#listeners.delete(wake);
  }

  /** Wakes this process's listeners at once (after a commit of ours), without waiting for the notification. */
  wakeLocal(): void {
    this.#wakeAll();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retry) clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => {});
  }

  #wakeAll(): void {
    for (const wake of this.#listeners) wake();
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client({ connectionString: this.#url, application_name: 'elemta-event-listener' });
    this.#client = client;
    client.on('notification', () => this.#wakeAll());
    client.on('error', (err) => this.#failed(client, err));
    client.on('end', () => this.#failed(client, new Error('LISTEN connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
      this.#backoffMs = 250;
      this.#wakeAll(); // events may have arrived while we were not listening
    } catch (err) {
      this.#failed(client, err);
    }
  }

  #failed(client: pg.Client, err: unknown): void {
    if (this.#closed || this.#client !== client) return;
    this.#client = null;
    client.end().catch(() => {});
    this.#log?.warn({ err, retryInMs: this.#backoffMs }, 'event store LISTEN connection failed');
    this.#retry = setTimeout(() => void this.#connect(), this.#backoffMs);
    this.#backoffMs = Math.min(this.#backoffMs * 2, 5_000);
  }
}

export type ReadAll = (options: { after: GlobalPosition | null; limit: number; types?: readonly string[] }) => Promise<RecordedEvent[]>;

export type PgSubscriptionDeps = Readonly<{ readAll: ReadAll; notifier: PgNotifier; pollMs: number; onEnd: () => void }>;

/**
 * Reads batches after the subscription's own position, hands each to the awaited handler, and sleeps until a
 * notification or `pollMs` (the fallback for transactions that hold the visibility horizon back and notify nothing).
 * A handler or read error ends the loop; `done` rejects with it.
 */
export class PgSubscription implements Subscription {
  readonly done: Promise<void>;
  readonly #deps: PgSubscriptionDeps;
  #stopped = false;
  /** Set by every notification: "read again", even when the read in flight comes back empty. */
  #signalled = false;
  #interrupt: (() => void) | null = null;

  constructor(deps: PgSubscriptionDeps, options: SubscribeOptions, handler: (events: RecordedEvent[]) => Promise<void>) {
    this.#deps = deps;
    const unsubscribe = deps.notifier.subscribe(() => this.#wake());
    this.done = this.#loop(options, handler).finally(() => {
      unsubscribe();
      deps.onEnd();
    });
    this.done.catch(() => {}); // the caller observes `done`; an unobserved failure must not crash the process
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#interrupt?.();
    await this.done.catch(() => {});
  }

  #wake(): void {
    this.#signalled = true;
    this.#interrupt?.();
  }

  #sleep(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.#signalled || this.#stopped) return resolve();
      const finish = () => {
        clearTimeout(timer);
        this.#interrupt = null;
        resolve();
      };
      const timer = setTimeout(finish, this.#deps.pollMs);
      this.#interrupt = finish;
    });
  }

  async #loop(options: SubscribeOptions, handler: (events: RecordedEvent[]) => Promise<void>): Promise<void> {
    const limit = options.batchSize ?? 500;
    const types = options.types;
    let after = options.after;
    while (!this.#stopped) {
      this.#signalled = false;
      const batch = await this.#deps.readAll({ after, limit, ...(types ? { types } : {}) });
      if (this.#stopped) return;
      const last = batch.at(-1);
      if (!last) {
        await this.#sleep();
        continue;
      }
      await handler(batch);
      after = last.metadata.position;
    }
  }
}
