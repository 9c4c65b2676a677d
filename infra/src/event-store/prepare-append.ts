import { uuidV7 as uuidv7 } from '../ids/uuid-v7.js';
import {
  upcastEvent, validateEvent, type AnyDomainEvent, type EventMetadata, type RecordedEvent,
} from '@elemta/domain';
import { chainEvents } from './hash-chain.js';

/** The last event of a stream as an append sees it: its version (0 = empty) and hash (genesis when empty). */
export type StreamHead = Readonly<{ version: number; hash: string }>;

export type PreparedEvent = Readonly<{
  eventId: string;
  version: number;
  event: AnyDomainEvent;
  prevHash: string;
  hash: string;
}>;

export type PreparedAppend = Readonly<{ recordedAt: string; events: PreparedEvent[] }>;

/**
 * Checks an append before any I/O: at least one event, a sane expected version, and every event valid
 * for its type (`validateEvent` throws `DomainError('INVALID_EVENT')`; unknown types pass).
 */
export const checkAppend = (events: readonly AnyDomainEvent[], expectedVersion: number | 'any'): void => {
  if (events.length === 0) throw new RangeError('appendToStream needs at least one event');
  if (expectedVersion !== 'any' && !(Number.isInteger(expectedVersion) && expectedVersion >= 0)) {
    throw new RangeError(`invalid expectedVersion: ${String(expectedVersion)}`);
  }
  for (const event of events) validateEvent(event);
};

/**
 * Gives the events their ids (UUIDv7, so they sort by time), versions after `head`, one `recordedAt` taken from
 * this process's clock, and their place in the hash chain.
 */
export const prepareAppend = (
  events: readonly AnyDomainEvent[],
  head: StreamHead,
  metadata: EventMetadata,
  now: Date = new Date(),
): PreparedAppend => {
  const recordedAt = now.toISOString();
  const chained = chainEvents(events, head.hash, metadata, recordedAt);
  return {
    recordedAt,
    events: chained.map((c, i) => ({ eventId: uuidv7(), version: head.version + i + 1, ...c })),
  };
};

/** The stored event brought to its current schema version; the metadata (hashes included) stays as stored. */
export const upcastRecorded = (event: RecordedEvent): RecordedEvent => {
  const current = upcastEvent({ type: event.type, schemaVersion: event.schemaVersion, data: event.data });
  return { type: current.type, schemaVersion: current.schemaVersion, data: current.data, metadata: event.metadata };
};

/** A stream read as the port returns it: its version (the last event's) and its events upcast. */
export const toStreamRead = <E extends AnyDomainEvent>(raw: readonly RecordedEvent[]): { version: number; events: RecordedEvent<E>[] } =>
  ({ version: raw.at(-1)?.metadata.version ?? 0, events: raw.map(upcastRecorded) as RecordedEvent<E>[] });
