import { asGlobalPosition, DomainError, parseStreamName, type EventStore, type RecordedEvent } from '@elemta/domain';
import type { EventLog, EventRecord } from '@elemta/schema';

/** The schema's view of a recorded event: the store's metadata as recorded, the place in the log lifted out of it. */
export const toEventRecord = (event: RecordedEvent): EventRecord => ({
  position: event.metadata.position,
  stream: event.metadata.stream,
  version: event.metadata.version,
  type: event.type,
  schemaVersion: event.schemaVersion,
  recordedAt: event.metadata.recordedAt,
  data: event.data,
  metadata: event.metadata,
});

/**
 * The GraphQL event log over the event store port: the store's own order and upcasting. Each adapter refuses a
 * position it did not produce with a RangeError before it queries, which becomes `DomainError('INVALID_CURSOR')`
 * here (the schema answers it as BAD_USER_INPUT); every other failure passes through and stays masked.
 */
export const createEventLog = (store: EventStore): EventLog => ({
  readAll: async ({ after, limit, types }) => {
    try {
      const events = await store.readAll({ after: after === null ? null : asGlobalPosition(after), limit, ...(types ? { types } : {}) });
      return events.map(toEventRecord);
    } catch (err) {
      if (err instanceof RangeError) throw new DomainError('INVALID_CURSOR', 'not a position of this event log');
      throw err;
    }
  },
  readStream: async (stream) => (await store.readStream(parseStreamName(stream))).events.map(toEventRecord),
});
