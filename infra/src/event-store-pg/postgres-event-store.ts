import type pg from 'pg';
import {
  EventStoreUnavailable, WrongExpectedVersionError,
  type AnyDomainEvent, type AppendOptions, type AppendResult, type EventStore, type GlobalPosition,
  type RecordedEvent, type StreamName, type SubscribeOptions, type Subscription,
} from '@elemta/domain';
import { GENESIS_HASH } from '../event-store/hash-chain.js';
import { checkAppend, prepareAppend, toStreamRead, upcastRecorded, type StreamHead } from '../event-store/prepare-append.js';
import type { RawStreamReader } from '../event-store/verify-stream.js';
import { createBatcher } from '../postgres/batcher.js';
import { GroupCommitter, type FlushInfo } from './group-commit.js';
import { EVENTS_CHANNEL } from './migrations.js';
import { PgNotifier, PgSubscription, type StoreLog } from './pg-subscription.js';
import {
  bodyParams, decodePgPosition, encodePgPosition, INSERT_SQL, INSERT_WITH_BODIES_SQL, insertParams, LAST_EVENT_SQL, LIST_STREAMS_SQL, READ_STREAM_SQL, READ_STREAMS_SQL, readAllSql, rowToEvent, toInsertRows,
  type EventRow, type BodyRow, type InsertedRow, type InsertRow,
} from './queries.js';

export type PostgresEventStoreOptions = Readonly<{
  /** Owned by the caller: `close()` does not end it. The `events` table must exist (`eventStoreMigrations`). */
  pool: pg.Pool;
  /** Connection string for the one dedicated LISTEN connection (opened on the first subscription). */
  listenUrl: string;
  log?: StoreLog;
  /** Most appends per group-commit statement (default 500). */
  /** maxBatch: most appends per statement (500); maxInFlight: statements in flight at once (3). */
  groupCommit?: { maxBatch?: number; maxInFlight?: number };
  /** Called after each committed group-commit statement: events written, its duration, appends it carried. */
  onAppend?: (info: FlushInfo) => void;
  /** Subscription polling fallback when no notification arrives (default 500 ms). */
  pollIntervalMs?: number;
}>;

/** Retries of an `expectedVersion: 'any'` append that lost a race for the next version. */
const ANY_RETRIES = 20;
const HEAD_CACHE_SIZE = 10_000;
/** At most one announcement per interval: other nodes hear of commits a few milliseconds later, the database sees far fewer NOTIFYs. */
const ANNOUNCE_INTERVAL_MS = 10;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const pgCode = (err: unknown): string | undefined => (err as { code?: unknown }).code as string | undefined;
const isUniqueViolation = (err: unknown) => pgCode(err) === '23505';
/** Failures one append can cause for a whole batch: a version conflict, or data PostgreSQL refuses (class 22). */
const isolatable = (err: unknown) => isUniqueViolation(err) || /^22/.test(pgCode(err) ?? '');

/**
 * The event store on PostgreSQL: an append-only `events` table (UPDATE, DELETE and TRUNCATE refused by triggers).
 *
 * - Appends from concurrent callers are group-committed: one autocommit INSERT per batch; each promise resolves
 *   after its batch committed. `expectedVersion: 0` needs no read before the insert; N > 0 and 'any' read the
 *   stream's last version and hash first (the hash chain needs it).
 * - `readAll` and subscriptions order by `<xid>/<position>` and read only transactions older than the oldest
 *   running one, so no event is ever skipped when transactions commit out of order (see queries.ts).
 * - Subscriptions wake on NOTIFY (one LISTEN connection per store) and poll every 500 ms as a fallback.
 * - `readStreamRaw` returns events as stored, for `verifyChain`; every other read returns them upcast.
 * - Conflicts throw `WrongExpectedVersionError`, invalid events `DomainError('INVALID_EVENT')`, database failures
 *   `EventStoreUnavailable` with the cause.
 */
export class PostgresEventStore implements EventStore, RawStreamReader {
  readonly #pool: pg.Pool;
  readonly #notifier: PgNotifier;
  readonly #committer: GroupCommitter;
  readonly #subscriptions = new Set<Subscription>();
  readonly #pollMs: number;
  readonly #log: StoreLog | undefined;
  #closed = false;
  /** Stream reads of one event-loop turn go in one statement. */
  readonly #streamReads = createBatcher<StreamName, EventRow[]>((streams) => this.#readStreams(streams), 200);
  /**
   * The last version and hash seen of recently read or written streams, so that an append with that expected version
   * needs no read of the stream head first. Always safe: a stored event never changes, and if the stream moved on
   * meanwhile, the insert of the same version fails on UNIQUE (stream, version) and the append is a conflict.
   */
  readonly #heads = new Map<string, StreamHead>();
  #announcing: Promise<void> | null = null;
  #announceAgain = false;

  constructor(options: PostgresEventStoreOptions) {
    this.#pool = options.pool;
    this.#notifier = new PgNotifier(options.listenUrl, options.log);
    this.#pollMs = options.pollIntervalMs ?? 500;
    this.#log = options.log;
    this.#committer = new GroupCommitter({
      insert: (rows, bodies) => this.#insert(rows, bodies),
      isolate: isolatable,
      maxBatch: options.groupCommit?.maxBatch ?? 500,
      maxInFlight: options.groupCommit?.maxInFlight ?? 3,
      onFlush: (info) => {
        this.#committed();
        options.onAppend?.(info);
      },
    });
  }

  async readStream<E extends AnyDomainEvent = AnyDomainEvent>(
    stream: StreamName,
  ): Promise<{ version: number; events: RecordedEvent<E>[] }> {
    return toStreamRead<E>(await this.readStreamRaw(stream));
  }

  /** The stream's events exactly as stored (not upcast), for `verifyChain`. */
  async readStreamRaw(stream: StreamName): Promise<RecordedEvent[]> {
    this.#assertOpen();
    let rows: EventRow[];
    try {
      rows = await this.#streamReads.add(stream);
    } catch (err) {
      throw new EventStoreUnavailable('event store: read stream failed', { cause: err });
    }
    const events = rows.map(rowToEvent);
    const last = events.at(-1);
    if (last) this.#remember(stream, { version: last.metadata.version, hash: last.metadata.hash });
    return events;
  }

  /**
   * One page of the names of all streams, in name order, strictly after `after` ('' = from the start). Walk it page by
   * page (`elemta verify`) so that memory stays bounded however many streams there are.
   */
  async listStreams(options: { after: string; limit: number }): Promise<StreamName[]> {
    const rows = await this.#query<{ stream: string }>('list streams', LIST_STREAMS_SQL, [options.after, options.limit]);
    return rows.map((r) => r.stream as StreamName);
  }

  async #readStreams(streams: readonly StreamName[]): Promise<EventRow[][]> {
    const unique = [...new Set(streams)];
    const rows = unique.length === 1
      ? (await this.#pool.query<EventRow>({ name: 'elemta_read_stream', text: READ_STREAM_SQL, values: unique })).rows
      : (await this.#pool.query<EventRow>({ name: 'elemta_read_streams', text: READ_STREAMS_SQL, values: [unique] })).rows;
    const byStream = new Map<string, EventRow[]>();
    for (const row of rows) {
      const list = byStream.get(row.stream);
      if (list) list.push(row);
      else byStream.set(row.stream, [row]);
    }
    return streams.map((s) => byStream.get(s) ?? []);
  }

  #remember(stream: string, head: StreamHead): void {
    this.#heads.delete(stream);
    this.#heads.set(stream, head);
    if (this.#heads.size > HEAD_CACHE_SIZE) this.#heads.delete(this.#heads.keys().next().value as string);
  }

  async appendToStream(stream: StreamName, events: readonly AnyDomainEvent[], options: AppendOptions): Promise<AppendResult> {
    return this.#append(stream, events, options, []);
  }

  /**
   * Appends like appendToStream and stores a message body in the blob store's `blobs` table in the same statement,
   * so both become durable in one transaction and one WAL flush: the SMTP acceptance path needs one commit instead
   * of two. The body is then read through PostgresBlobStore like any other. Needs `blobStoreMigrations` applied.
   */
  async appendWithBody(
    stream: StreamName, events: readonly AnyDomainEvent[], options: AppendOptions, body: Readonly<{ sha256: string; bytes: Uint8Array }>,
  ): Promise<AppendResult> {
    if (!/^[0-9a-f]{64}$/.test(body.sha256)) throw new RangeError('body.sha256 must be 64 lower-case hex digits');
    return this.#append(stream, events, options, [body]);
  }

  async #append(stream: StreamName, events: readonly AnyDomainEvent[], options: AppendOptions, bodies: readonly BodyRow[]): Promise<AppendResult> {
    this.#assertOpen();
    const { expectedVersion, metadata } = options;
    checkAppend(events, expectedVersion);
    for (let attempt = 0; ; attempt++) {
      const head = await this.#head(stream, expectedVersion);
      const prepared = prepareAppend(events, head, metadata);
      try {
        const rows = toInsertRows(stream, prepared, metadata);
        const inserted = await this.#committer.append(rows, bodies);
        const last = inserted.at(-1) as InsertedRow;
        this.#remember(stream, { version: last.version, hash: rows.at(-1)!.hash });
        return { version: last.version, position: encodePgPosition(last.xid, last.position) };
      } catch (err) {
        if (!isUniqueViolation(err)) throw new EventStoreUnavailable(`append to ${stream} failed`, { cause: err });
        this.#heads.delete(stream); // the stream moved on: the next try reads its head
        if (expectedVersion !== 'any' || attempt >= ANY_RETRIES) {
          throw new WrongExpectedVersionError(stream, expectedVersion, null);
        }
      }
    }
  }

  async readAll(options: { after: GlobalPosition | null; limit: number; types?: readonly string[] }): Promise<RecordedEvent[]> {
    const { xid, position } = decodePgPosition(options.after);
    if (options.types?.length === 0) return [];
    const withTypes = options.types !== undefined;
    const params: unknown[] = [xid, position, options.limit, ...(withTypes ? [options.types] : [])];
    const rows = await this.#query<EventRow>('read all', readAllSql(withTypes), params);
    return rows.map((row) => upcastRecorded(rowToEvent(row)));
  }

  /**
   * See the port. Delivery resumes strictly after `options.after`; `stop()` must not be awaited from inside the
   * handler (it waits for the handler). A read failure also ends the subscription: `done` rejects and the caller
   * (the projection runner) restarts from its checkpoint.
   */
  subscribeToAll(options: SubscribeOptions, handler: (events: RecordedEvent[]) => Promise<void>): Subscription {
    this.#assertOpen();
    const subscription: Subscription = new PgSubscription(
      { readAll: (o) => this.readAll(o), notifier: this.#notifier, pollMs: this.#pollMs, onEnd: () => this.#subscriptions.delete(subscription) },
      options,
      handler,
    );
    this.#subscriptions.add(subscription);
    return subscription;
  }

  /** Resolves true when PostgreSQL answers; rejects with `EventStoreUnavailable` otherwise. */
  async ping(): Promise<boolean> {
    await this.#query('ping', 'SELECT 1', []);
    return true;
  }

  /** Stops subscriptions, waits for queued appends to settle, ends the LISTEN connection. The pool stays open. */
  /**
   * Calls `wake` whenever events may have been committed (each insert statement's NOTIFY, and after the LISTEN
   * connection reconnects), without reading anything; returns the function that stops it. For consumers that read
   * on their own, such as the projection runner, this is far cheaper than a subscription that reads every event.
   */
  onCommitted(wake: () => void): () => void {
    return this.#notifier.subscribe(wake);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#subscriptions].map((s) => s.stop()));
    await this.#committer.idle();
    await this.#announcing;
    await this.#notifier.close();
  }

  async #head(stream: StreamName, expected: number | 'any'): Promise<StreamHead> {
    if (expected === 0) return { version: 0, hash: GENESIS_HASH }; // the hot SMTP path: no read before the insert
    const known = this.#heads.get(stream);
    if (known && known.version === expected) return known; // the delivery path: the worker read the stream just before
    const [last] = await this.#query<{ version: number; hash: string }>('read stream head', LAST_EVENT_SQL, [stream]);
    const head = last ?? { version: 0, hash: GENESIS_HASH };
    if (expected !== 'any' && head.version !== expected) throw new WrongExpectedVersionError(stream, expected, head.version);
    return head;
  }

  /**
   * After a batch committed: this process's subscriptions wake at once, and other processes hear of it through one
   * NOTIFY sent from a separate transaction that writes nothing (so it waits for no WAL flush). Announcements are
   * coalesced: while one is in flight (and for ANNOUNCE_INTERVAL_MS after it), any number of commits lead to exactly one more.
   */
  #committed(): void {
    this.#notifier.wakeLocal();
    if (this.#announcing) {
      this.#announceAgain = true;
      return;
    }
    this.#announcing = this.#pool.query(`SELECT pg_notify('${EVENTS_CHANNEL}', '')`).then(
      () => undefined,
      (err: unknown) => { if (!this.#closed) this.#log?.warn({ err }, 'commit announcement failed; other nodes will poll'); },
    ).then(() => (this.#closed ? undefined : delay(ANNOUNCE_INTERVAL_MS))).finally(() => {
      this.#announcing = null;
      if (this.#announceAgain && !this.#closed) {
        this.#announceAgain = false;
        this.#committed();
      }
    });
  }

  async #insert(rows: readonly InsertRow[], bodies: readonly BodyRow[]): Promise<InsertedRow[]> {
    try {
      const result = bodies.length === 0
        // named: each pooled connection parses and plans the hot statements once, not on every commit
        ? await this.#pool.query<InsertedRow>({ name: 'elemta_insert_events', text: INSERT_SQL, values: insertParams(rows) })
        : await this.#pool.query<InsertedRow>({
          name: 'elemta_insert_events_bodies', text: INSERT_WITH_BODIES_SQL, values: [...insertParams(rows), ...bodyParams(bodies)],
        });
      return result.rows;
    } catch (err) {
      // Logged once per statement (a batch may carry hundreds of appends); conflicts are normal and not logged.
      if (!isUniqueViolation(err)) this.#log?.error({ err, events: rows.length }, 'event store insert failed');
      throw err;
    }
  }

  async #query<R extends pg.QueryResultRow>(what: string, sql: string, params: unknown[]): Promise<R[]> {
    this.#assertOpen();
    try {
      return (await this.#pool.query<R>(sql, params)).rows;
    } catch (err) {
      throw new EventStoreUnavailable(`event store: ${what} failed`, { cause: err });
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new EventStoreUnavailable('event store is closed');
  }
}
