/** The metadata every recorded event carries (the store may add more keys, such as `eventId`). */
export type EventRecordMetadata = Readonly<{
  actor: string;
  correlationId: string;
  causationId: string | null;
  node: string;
  prevHash: string;
  hash: string;
}>;

/** One event of the log as the schema serves it. Positions are opaque strings: only the event store may parse them. */
export type EventRecord = Readonly<{
  position: string;
  stream: string;
  /** 1-based number of the event within its stream. */
  version: number;
  type: string;
  schemaVersion: number;
  recordedAt: string;
  data: unknown;
  metadata: EventRecordMetadata;
}>;

/**
 * Read access to the event log, implemented by apps/mta over the event store. Events come upcast to their current
 * schema version where the store knows the type; a type it does not know passes through as written.
 */
export interface EventLog {
  /**
   * Events of every stream in the one global order, strictly after `after` (null: from the first), at most `limit`,
   * only of `types` when given. The order never changes once observed, so paging by the last position neither repeats
   * nor skips events. A position this log did not produce throws `DomainError('INVALID_CURSOR')`.
   */
  readAll(options: Readonly<{ after: string | null; limit: number; types?: readonly string[] }>): Promise<readonly EventRecord[]>;
  /** One stream's events in stream order; empty when the stream does not exist. `stream` is a checked `<category>-<id>`. */
  readStream(stream: string): Promise<readonly EventRecord[]>;
}
