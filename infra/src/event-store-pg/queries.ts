import {
  asGlobalPosition, type AnyDomainEvent, type EventMetadata, type GlobalPosition, type RecordedEvent, type StreamName,
} from '@elemta/domain';
import type { PreparedAppend } from '../event-store/prepare-append.js';

/**
 * Why not `position > checkpoint`: positions come from a sequence when a row is inserted, but rows become visible
 * when their transaction commits. Transaction A takes position 10, B takes 11, B commits first; a reader that saw 11
 * and checkpointed it would never read 10. So positions are `<xid>/<position>`: rows are read in (xid, position)
 * order and only from transactions older than every transaction still running (`xid < pg_snapshot_xmin(...)`).
 * Those have all committed or aborted, and any transaction that starts later gets a larger xid, so once a reader
 * has passed a (xid, position) nothing can ever appear before it. Only transactions that have an xid (that wrote
 * something) hold the horizon back; read-only queries, pg_dump included, do not. The price: a long writing
 * transaction anywhere on the server (xids are cluster-wide) delays readers until it ends; it delays, never loses.
 */
export const encodePgPosition = (xid: string, position: string): GlobalPosition => asGlobalPosition(`${xid}/${position}`);

export const decodePgPosition = (value: GlobalPosition | null): { xid: string; position: string } => {
  if (value === null) return { xid: '0', position: '0' };
  const match = /^(\d+)\/(\d+)$/.exec(value);
  if (!match?.[1] || !match[2]) throw new RangeError(`not a PostgreSQL event store position: ${value}`);
  return { xid: match[1], position: match[2] };
};

const COLUMNS = `xid::text AS xid, position::text AS position, stream, version, event_id::text AS event_id, type,
  schema_version, data, metadata, recorded_at, prev_hash, hash`;

export const READ_STREAM_SQL = `SELECT ${COLUMNS} FROM events WHERE stream = $1 ORDER BY version`;

export const LAST_EVENT_SQL = 'SELECT version, hash FROM events WHERE stream = $1 ORDER BY version DESC LIMIT 1';

export const readAllSql = (withTypes: boolean): string => `
  SELECT ${COLUMNS} FROM events
  WHERE (xid, position) > ($1::xid8, $2::bigint)
    AND xid < (SELECT pg_snapshot_xmin(pg_current_snapshot()))
    ${withTypes ? 'AND type = ANY($4::text[])' : ''}
  ORDER BY events.xid, events.position -- qualified: a bare name would sort by the text output column
  LIMIT $3`;

/**
 * One statement for a whole group-commit batch: arrays in, rows out, ordered so positions follow the order
 * of the batch. The JSON travels as text and is cast per row (a jsonb[] literal would need its own escaping).
 */
export const INSERT_SQL = `
  INSERT INTO events (stream, version, event_id, type, schema_version, data, metadata, recorded_at, prev_hash, hash)
  SELECT stream, version, event_id, type, schema_version, data::jsonb, metadata::jsonb, recorded_at, prev_hash, hash
  FROM unnest($1::text[], $2::int[], $3::uuid[], $4::text[], $5::int[], $6::text[], $7::text[],
              $8::timestamptz[], $9::text[], $10::text[])
       WITH ORDINALITY AS r(stream, version, event_id, type, schema_version, data, metadata, recorded_at, prev_hash, hash, ord)
  ORDER BY ord
  RETURNING xid::text AS xid, position::text AS position, stream, version`;

/**
 * The same insert, with message bodies written into the blob store's `blobs` table by the same statement: one
 * transaction, so a body and the events that refer to it become durable together (never one without the other).
 */
export const INSERT_WITH_BODIES_SQL = `
  WITH bodies AS (
    INSERT INTO blobs (sha256, size, body)
    SELECT * FROM unnest($11::text[], $12::int[], $13::bytea[]) ON CONFLICT (sha256) DO NOTHING
  )
  ${INSERT_SQL.trim()}`;

export type BodyRow = Readonly<{ sha256: string; bytes: Uint8Array }>;

export const bodyParams = (bodies: readonly BodyRow[]): unknown[] => {
  const unique = [...new Map(bodies.map((b) => [b.sha256, b])).values()]; // one row per distinct body
  return [
    unique.map((b) => b.sha256),
    unique.map((b) => b.bytes.byteLength),
    unique.map((b) => Buffer.from(b.bytes.buffer, b.bytes.byteOffset, b.bytes.byteLength)),
  ];
};

export type InsertRow = Readonly<{
  stream: StreamName;
  version: number;
  eventId: string;
  event: AnyDomainEvent;
  metadata: EventMetadata;
  recordedAt: string;
  prevHash: string;
  hash: string;
}>;

export const toInsertRows = (stream: StreamName, prepared: PreparedAppend, metadata: EventMetadata): InsertRow[] =>
  prepared.events.map((e) => ({
    stream, version: e.version, eventId: e.eventId, event: e.event, metadata,
    recordedAt: prepared.recordedAt, prevHash: e.prevHash, hash: e.hash,
  }));

export type InsertedRow = Readonly<{ xid: string; position: string; stream: string; version: number }>;

export const insertParams = (rows: readonly InsertRow[]): unknown[] => [
  rows.map((r) => r.stream),
  rows.map((r) => r.version),
  rows.map((r) => r.eventId),
  rows.map((r) => r.event.type),
  rows.map((r) => r.event.schemaVersion),
  rows.map((r) => JSON.stringify(r.event.data ?? null)),
  rows.map((r) => JSON.stringify(storedMetadata(r.metadata))),
  rows.map((r) => r.recordedAt),
  rows.map((r) => r.prevHash),
  rows.map((r) => r.hash),
];

const storedMetadata = ({ correlationId, causationId, actor, node }: EventMetadata): EventMetadata =>
  ({ correlationId, causationId, actor, node });

export type EventRow = {
  xid: string;
  position: string;
  stream: string;
  version: number;
  event_id: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: Date | string;
  prev_hash: string;
  hash: string;
};

/** The event exactly as stored (not upcast). */
export const rowToEvent = (row: EventRow): RecordedEvent => ({
  type: row.type,
  schemaVersion: row.schema_version,
  data: row.data as AnyDomainEvent['data'],
  metadata: {
    correlationId: row.metadata.correlationId,
    causationId: row.metadata.causationId ?? null,
    actor: row.metadata.actor,
    node: row.metadata.node,
    eventId: row.event_id,
    stream: row.stream as StreamName,
    version: row.version,
    position: encodePgPosition(row.xid, row.position),
    // Stored from a millisecond ISO string, so this gives back exactly the string that was hashed.
    recordedAt: new Date(row.recorded_at).toISOString(),
    prevHash: row.prev_hash,
    hash: row.hash,
  },
});
