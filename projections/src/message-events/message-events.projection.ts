import { isUuid, streamCategory, type RecordedEvent } from '@elemta/domain';
import type pg from 'pg';
import type { Migration, Projection } from '../projection.js';

export type MessageEventRow = Readonly<{
  messageId: string;
  version: number;
  position: string;
  type: string;
  schemaVersion: number;
  recordedAt: string;
  data: unknown;
  metadata: RecordedEvent['metadata'];
}>;

/**
 * The timeline row of an event, or null when it is not part of a message's history: only events recorded in a
 * `message` stream whose data names the message (`data.messageId`); the id is never parsed out of the stream name.
 */
export const toMessageEventRow = (event: RecordedEvent): MessageEventRow | null => {
  if (streamCategory(event.metadata.stream) !== 'message') return null;
  const id = (event.data as { messageId?: unknown } | null)?.messageId;
  if (typeof id !== 'string' || !isUuid(id)) return null;
  return {
    messageId: id,
    version: event.metadata.version,
    position: event.metadata.position,
    type: event.type,
    schemaVersion: event.schemaVersion,
    recordedAt: event.metadata.recordedAt,
    data: event.data,
    metadata: event.metadata,
  };
};

export const messageEventsMigrations: readonly Migration[] = [{
  id: 'projections/0003-message-events',
  sql: `
  CREATE TABLE message_events (
    message_id uuid NOT NULL,
    version integer NOT NULL,
    position text NOT NULL,
    type text NOT NULL,
    schema_version integer NOT NULL,
    recorded_at timestamptz NOT NULL,
    data jsonb NOT NULL,
    metadata jsonb NOT NULL,
    PRIMARY KEY (message_id, version)
  );`,
}];

// Insert-only: a row, once written, is the event as recorded; DO NOTHING keeps a repeated event harmless.
const INSERT = `
  INSERT INTO message_events (message_id, version, position, type, schema_version, recorded_at, data, metadata)
  SELECT r."messageId", r.version, r.position, r.type, r."schemaVersion", r."recordedAt", r.data, r.metadata
    FROM jsonb_to_recordset($1::jsonb) AS r("messageId" uuid, version integer, position text, type text,
      "schemaVersion" integer, "recordedAt" timestamptz, data jsonb, metadata jsonb)
  ON CONFLICT (message_id, version) DO NOTHING`;

const applyMessageEvents = async (tx: pg.PoolClient, events: readonly RecordedEvent[]): Promise<void> => {
  const rows = events.map(toMessageEventRow).filter((r): r is MessageEventRow => r !== null);
  if (rows.length > 0) await tx.query({ name: 'elemta_message_events_insert', text: INSERT, values: [JSON.stringify(rows)] });
};

/** `message_events`: every event of every message stream, for the message timeline. */
export const messageEventsProjection: Projection = {
  name: 'message_events',
  version: 1,
  handles: 'all',
  tables: ['message_events'],
  migrations: messageEventsMigrations,
  apply: applyMessageEvents,
};
