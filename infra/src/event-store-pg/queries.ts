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

/** Several streams in one statement: the worker reads the streams of a batch of claimed messages together. */
export const READ_STREAMS_SQL = `SELECT ${COLUMNS} FROM events WHERE stream = ANY($1::text[]) ORDER BY stream, version`;

/** Stream names in name order, strictly after $1, at most $2: one page of a keyset walk over UNIQUE (stream, version). */
export const LIST_STREAMS_SQL = 'SELECT DISTINCT stream FROM events WHERE stream > $1 ORDER BY stream LIMIT $2';

export const LAST_EVENT_SQL = 'SELECT version, hash FROM events WHERE stream = $1 ORDER BY version DESC LIMIT 1';

export const readAllSql = (withTypes: boolean): string => `
  SELECT ${COLUMNS} FROM events
  WHERE (xid, position) > ($1::xid8, $2::bigint)
    AND xid < (SELECT pg_snapshot_xmin(pg_current_snapshot()))
    ${withTypes ? 'AND type = ANY($4::text[])' : ''}
  ORDER BY events.xid, events.position -- qualified: a bare name would sort by the text output column
  LIMIT $3`;

/**
 * One statement for a whole group-commit batch: the rows travel as one JSON document (serialised once, parsed once
 * by PostgreSQL, with none of the per-element escaping of text[] literals) and come out ordered as the batch, so
 * positions follow its order. A JSON null `data` becomes the JSON value null, as the column requires.
 */
export const INSERT_SQL = `
  INSERT INTO events (stream, version, event_id, type, schema_version, data, metadata, recorded_at, prev_hash, hash)
  SELECT r.stream, r.version, r.event_id, r.type, r.schema_version, COALESCE(r.data, 'null'::jsonb), r.metadata,
         r.recorded_at, r.prev_hash, r.hash
  FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (
         stream text, version int, event_id uuid, type text, schema_version int, data jsonb, metadata jsonb,
         recorded_at timestamptz, prev_hash text, hash text)) WITH ORDINALITY
       AS r(stream, version, event_id, type, schema_version, data, metadata, recorded_at, prev_hash, hash, ord)
  ORDER BY r.ord
  RETURNING xid::text AS xid, position::text AS position, stream, version`;

/**
 * The same insert, with message bodies written into the blob store's `blobs` table by the same statement: one
 * transaction, so a body and the events that refer to it become durable together (never one without the other).
 * The bodies travel as ONE binary parameter (no hex text), cut into rows by offset and length.
 */
export const INSERT_WITH_BODIES_SQL = `
  WITH bodies AS (
    INSERT INTO blobs (sha256, size, body)
    SELECT b.sha256, b.size, substring($5::bytea FROM b.off + 1 FOR b.size)
    FROM unnest($2::text[], $3::int[], $4::int[]) AS b(sha256, size, off)
    ON CONFLICT (sha256) DO NOTHING
  )
  ${INSERT_SQL.trim()}`;

export type BodyRow = Readonly<{ sha256: string; bytes: Uint8Array }>;

export const bodyParams = (bodies: readonly BodyRow[]): unknown[] => {
  const unique = [...new Map(bodies.map((b) => [b.sha256, b])).values()]; // one row per distinct body
  const offsets: number[] = [];
  let offset = 0;
  for (const b of unique) {
    offsets.push(offset);
    offset += b.bytes.byteLength;
  }
  return [
    unique.map((b) => b.sha256),
    unique.map((b) => b.bytes.byteLength),
    offsets,
    Buffer.concat(unique.map((b) => b.bytes)),
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
  JSON.stringify(rows.map((r) => ({
    stream: r.stream, version: r.version, event_id: r.eventId, type: r.event.type, schema_version: r.event.schemaVersion,
    data: r.event.data ?? null, metadata: storedMetadata(r.metadata), recorded_at: r.recordedAt, prev_hash: r.prevHash, hash: r.hash,
  }))),
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
