import {
  BACKWARDS, END, EventStoreDBClient, jsonEvent, START, StreamNotFoundError,
  WrongExpectedVersionError as EsdbWrongExpectedVersionError,
  type JSONType, type ReadPosition, type ResolvedEvent, type AllStreamResolvedEvent, type StreamingRead,
} from '@eventstore/db-client';
import {
  EventStoreUnavailable, WrongExpectedVersionError,
  type AnyDomainEvent, type AppendOptions, type AppendResult, type EventMetadata, type EventStore, type GlobalPosition,
  type RecordedEvent, type StreamName, type SubscribeOptions, type Subscription,
} from '@elemta/domain';
import { GENESIS_HASH } from '../event-store/hash-chain.js';
import { checkAppend, prepareAppend, toStreamRead, upcastRecorded, type PreparedAppend, type StreamHead } from '../event-store/prepare-append.js';
import type { RawStreamReader } from '../event-store/verify-stream.js';
import { EsdbSubscription } from './esdb-subscription.js';
import {
  decodeEsdbPosition, encodeEsdbPosition, expectedRevisionFor, atOrBefore, toRecordedEvent, versionOfCurrentRevision,
  type EsdbEventMetadata,
} from './esdb-translation.js';
import { withTimeout } from './with-timeout.js';

export type EsdbEventStoreOptions = Readonly<{
  /** e.g. `esdb://127.0.0.1:2113?tls=false`, or a cluster's `esdb+discover://…` */
  connectionString: string;
  /** Our deadline for every client call (default 5000 ms); past it the call rejects with `EventStoreUnavailable`. */
  timeoutMs?: number;
}>;

const ANY_RETRIES = 20;
/** $all is read in chunks; system events are dropped on our side because the 6.x client's readAll has no filter. */
const READ_ALL_CHUNK = 256;

const toEventData = (prepared: PreparedAppend, metadata: EventMetadata) =>
  prepared.events.map((e) => {
    const meta: EsdbEventMetadata = {
      correlationId: metadata.correlationId, causationId: metadata.causationId, actor: metadata.actor, node: metadata.node,
      schemaVersion: e.event.schemaVersion, recordedAt: prepared.recordedAt, prevHash: e.prevHash, hash: e.hash,
    };
    return jsonEvent({ id: e.eventId, type: e.event.type, data: (e.event.data ?? null) as JSONType, metadata: meta });
  });

/**
 * The event store on EventStoreDB (`EVENTSTORE_URL`). Same guarantees as the PostgreSQL adapter: versions are
 * revisions + 1, optimistic concurrency through expected revisions (an 'any' append also uses the revision it read
 * so that the hash chain cannot fork, and retries on conflict), the hash chain and our metadata live in each event's
 * metadata JSON, `readAll`/subscriptions read $all without system events at `<commit>/<prepare>` positions.
 * Every client call has our own timeout and fails as `EventStoreUnavailable`.
 */
export class EsdbEventStore implements EventStore, RawStreamReader {
  readonly #client: EventStoreDBClient;
  readonly #timeoutMs: number;
  readonly #subscriptions = new Set<Subscription>();
  #closed = false;

  constructor(options: EsdbEventStoreOptions) {
    this.#client = EventStoreDBClient.connectionString(options.connectionString);
    this.#timeoutMs = options.timeoutMs ?? 5_000;
  }

  async readStream<E extends AnyDomainEvent = AnyDomainEvent>(
    stream: StreamName,
  ): Promise<{ version: number; events: RecordedEvent<E>[] }> {
    return toStreamRead<E>(await this.readStreamRaw(stream));
  }

  /** The stream's events exactly as stored (not upcast), for `verifyChain`. */
  async readStreamRaw(stream: StreamName): Promise<RecordedEvent[]> {
    const resolved = await this.#collect('read stream', () => this.#client.readStream(stream, { fromRevision: START }));
    return resolved.map(toRecordedEvent).filter((e): e is RecordedEvent => e !== null);
  }

  async appendToStream(stream: StreamName, events: readonly AnyDomainEvent[], options: AppendOptions): Promise<AppendResult> {
    this.#assertOpen();
    const { expectedVersion, metadata } = options;
    checkAppend(events, expectedVersion);
    for (let attempt = 0; ; attempt++) {
      const head = await this.#head(stream, expectedVersion);
      const prepared = prepareAppend(events, head, metadata);
      try {
        const result = await withTimeout('append', this.#timeoutMs, this.#client.appendToStream(
          stream, toEventData(prepared, metadata), { expectedRevision: expectedRevisionFor(head.version) },
        ));
        const last = prepared.events.at(-1);
        return {
          version: last?.version ?? head.version,
          position: result.position ? encodeEsdbPosition(result.position) : await this.#positionOf(last?.eventId),
        };
      } catch (err) {
        if (!(err instanceof EsdbWrongExpectedVersionError)) throw this.#unavailable('append', err);
        if (expectedVersion !== 'any' || attempt >= ANY_RETRIES) {
          throw new WrongExpectedVersionError(stream, expectedVersion, versionOfCurrentRevision(err.actualVersion));
        }
      }
    }
  }

  async readAll(options: { after: GlobalPosition | null; limit: number; types?: readonly string[] }): Promise<RecordedEvent[]> {
    const found: RecordedEvent[] = [];
    let from: ReadPosition = decodeEsdbPosition(options.after);
    while (found.length < options.limit) {
      const start = from;
      const chunk = await this.#collect('read all', () => this.#client.readAll({ fromPosition: start, maxCount: READ_ALL_CHUNK }));
      for (const resolved of chunk) {
        if (atOrBefore(resolved.event?.position, start)) continue; // reads start AT a position; ours are strictly after
        const event = toRecordedEvent(resolved);
        if (!event || (options.types && !options.types.includes(event.type))) continue;
        found.push(upcastRecorded(event));
        if (found.length === options.limit) break;
      }
      const lastPosition = chunk.at(-1)?.event?.position;
      if (chunk.length < READ_ALL_CHUNK || !lastPosition) break;
      from = lastPosition;
    }
    return found;
  }

  /** See the port. Catch-up then live, pushed by the server; `stop()` must not be awaited inside the handler. */
  subscribeToAll(options: SubscribeOptions, handler: (events: RecordedEvent[]) => Promise<void>): Subscription {
    this.#assertOpen();
    const subscription: Subscription = new EsdbSubscription(
      this.#client, this.#timeoutMs, options, handler, () => this.#subscriptions.delete(subscription),
    );
    this.#subscriptions.add(subscription);
    return subscription;
  }

  /** Resolves true when EventStoreDB answers; rejects with `EventStoreUnavailable` otherwise (within the timeout). */
  async ping(): Promise<boolean> {
    await this.#collect('ping', () => this.#client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 }));
    return true;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#subscriptions].map((s) => s.stop()));
    await withTimeout('dispose', this.#timeoutMs, this.#client.dispose()).catch(() => {});
  }

  /** The last event's version and hash; no read for expectedVersion 0 (the stream must not exist anyway). */
  async #head(stream: StreamName, expected: number | 'any'): Promise<StreamHead> {
    if (expected === 0) return { version: 0, hash: GENESIS_HASH };
    const [lastResolved] = await this.#collect('read stream head', () =>
      this.#client.readStream(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 1 }));
    const last = lastResolved ? toRecordedEvent(lastResolved) : null;
    const head = last ? { version: last.metadata.version, hash: last.metadata.hash } : { version: 0, hash: GENESIS_HASH };
    if (expected !== 'any' && head.version !== expected) throw new WrongExpectedVersionError(stream, expected, head.version);
    return head;
  }

  /** Older servers answer an append without a position: find the event at the end of $all. */
  async #positionOf(eventId: string | undefined): Promise<GlobalPosition> {
    const tail = await this.#collect('read all tail', () =>
      this.#client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 256 }));
    const position = tail.find((r) => r.event?.id === eventId)?.event?.position;
    if (!position) throw new EventStoreUnavailable('EventStoreDB returned no position for an append');
    return encodeEsdbPosition(position);
  }

  /** Reads a whole (bounded) read into memory under our timeout; a missing stream reads as empty. */
  async #collect<R extends ResolvedEvent | AllStreamResolvedEvent>(what: string, open: () => StreamingRead<R>): Promise<R[]> {
    this.#assertOpen();
    let read: StreamingRead<R> | undefined;
    const all = async () => {
      read = open();
      const out: R[] = [];
      for await (const resolved of read) out.push(resolved);
      return out;
    };
    try {
      return await withTimeout(what, this.#timeoutMs, all(), () => void read?.cancel().catch(() => {}));
    } catch (err) {
      if (err instanceof StreamNotFoundError) return [];
      throw this.#unavailable(what, err);
    }
  }

  #unavailable(what: string, err: unknown): EventStoreUnavailable {
    return err instanceof EventStoreUnavailable ? err : new EventStoreUnavailable(`EventStoreDB ${what} failed`, { cause: err });
  }

  #assertOpen(): void {
    if (this.#closed) throw new EventStoreUnavailable('event store is closed');
  }
}
