import type { AnyDomainEvent } from './events/common.js';
import type { StreamName } from './ids.js';

/** Opaque outside the adapter that produced it: `<xid>/<seq>` for PostgreSQL, `<commit>/<prepare>` for EventStoreDB. */
export type GlobalPosition = string & { readonly __brand: 'GlobalPosition' };
export const asGlobalPosition = (value: string): GlobalPosition => value as GlobalPosition;

/** Who caused an append, and why. Stored with every event of the append. */
export type EventMetadata = Readonly<{
  /** The message id for message flows, the session id for session-only flows. */
  correlationId: string;
  /** The event id or command id that caused this append, when there is one. */
  causationId: string | null;
  /** `smtp:<ip>`, `api-key:<id>`, `system:<role>@<node>` */
  actor: string;
  node: string;
}>;

/** Metadata the store adds on append: identity, place in the stream and in the log, and the hash chain. */
export type RecordedMetadata = EventMetadata & Readonly<{
  eventId: string;
  stream: StreamName;
  /** 1-based: the first event of a stream has version 1. */
  version: number;
  position: GlobalPosition;
  recordedAt: string;
  /** Hash of the previous event of the stream (64 zeros for the first). */
  prevHash: string;
  hash: string;
}>;

export type RecordedEvent<E extends AnyDomainEvent = AnyDomainEvent> = E & Readonly<{ metadata: RecordedMetadata }>;

export type AppendOptions = Readonly<{
  /** The stream's version (its event count) the caller decided on; 0 = the stream must not exist. */
  expectedVersion: number | 'any';
  metadata: EventMetadata;
}>;

export type AppendResult = Readonly<{ version: number; position: GlobalPosition }>;

export interface Subscription {
  /** Stops delivering; resolves when the handler is no longer running. */
  stop(): Promise<void>;
  /** Settles when the subscription ends: resolves after stop(), rejects if the handler or the store failed. */
  readonly done: Promise<void>;
}

export type SubscribeOptions = Readonly<{
  /** Deliver events strictly after this position; null = from the first event. */
  after: GlobalPosition | null;
  /** Only these event types (all when omitted). System events of the underlying store are never delivered. */
  types?: readonly string[];
  batchSize?: number;
}>;

/**
 * The event store port. Every implementation passes `describeEventStoreContract` (infra/src/event-store).
 *
 * Guarantees:
 * - appends to one stream are atomic and ordered; a stale `expectedVersion` throws `WrongExpectedVersionError`
 *   and writes nothing;
 * - `readAll` and subscriptions deliver every committed event exactly once, in one global order that never
 *   changes once observed, even when concurrent transactions commit out of order;
 * - events are returned upcast to their current schema version;
 * - other failures throw `EventStoreUnavailable` with the cause.
 */
export interface EventStore {
  readStream<E extends AnyDomainEvent = AnyDomainEvent>(
    stream: StreamName,
  ): Promise<{ version: number; events: RecordedEvent<E>[] }>;
  appendToStream(stream: StreamName, events: readonly AnyDomainEvent[], options: AppendOptions): Promise<AppendResult>;
  /** All streams, in global order, strictly after `after`. */
  readAll(options: { after: GlobalPosition | null; limit: number; types?: readonly string[] }): Promise<RecordedEvent[]>;
  /**
   * Delivers batches of events after `options.after`, then new ones as they are committed.
   * The handler is awaited before the next batch; a handler that throws ends the subscription (`done` rejects).
   */
  subscribeToAll(options: SubscribeOptions, handler: (events: RecordedEvent[]) => Promise<void>): Subscription;
  /** True when the store answers. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
