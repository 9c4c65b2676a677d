import { DomainError, isUuid } from '@elemta/domain';
import type pg from 'pg';
import type { Connection, MessageEventView, MessageFilter, MessagePageArgs, MessageReadModel, MessageView } from '../read-models.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { messageWhere } from './message-filter.js';

export const MAX_PAGE_SIZE = 200;
const DEFAULT_PAGE_SIZE = 25;

const COLUMNS = `
  id::text AS id, status, mail_from, recipients, subject, from_header, message_id_header, size_bytes::float8 AS size_bytes,
  body_sha256, received_at, updated_at, listener, client_address, auth_user, session_id, submitted_by,
  to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_received_at`;

type MessageDbRow = {
  id: string; status: MessageView['status']; mail_from: string; recipients: MessageView['recipients'];
  subject: string | null; from_header: string | null; message_id_header: string | null; size_bytes: number;
  body_sha256: string; received_at: Date; updated_at: Date; listener: string; client_address: string | null;
  auth_user: string | null; session_id: string | null; submitted_by: string | null; cursor_received_at: string;
};

const toView = (r: MessageDbRow): MessageView => ({
  id: r.id, status: r.status, mailFrom: r.mail_from, recipients: r.recipients, subject: r.subject,
  fromHeader: r.from_header, messageIdHeader: r.message_id_header, sizeBytes: Number(r.size_bytes),
  bodySha256: r.body_sha256, receivedAt: r.received_at.toISOString(), updatedAt: r.updated_at.toISOString(),
  listener: r.listener, clientAddress: r.client_address, authUser: r.auth_user, sessionId: r.session_id,
  submittedBy: r.submitted_by,
});

const cursorOf = (r: MessageDbRow): string => encodeCursor({ receivedAt: r.cursor_received_at, id: r.id });

/** 1..200; a fraction is rounded down and anything unusable becomes 1. */
export const clampPageSize = (first: number): number =>
  Math.min(MAX_PAGE_SIZE, Math.max(1, Number.isFinite(first) ? Math.trunc(first) : 1));

const normaliseId = (id: string): string | null => {
  const lower = id.trim().toLowerCase();
  return isUuid(lower) ? lower : null;
};

/** Which way a page is read: `last` pages backwards, `first` (or neither: 25) forwards. */
const directionOf = (page: MessagePageArgs): { size: number; forward: boolean } => {
  const hasFirst = page.first !== undefined && page.first !== null;
  const hasLast = page.last !== undefined && page.last !== null;
  if (hasFirst && hasLast) throw new DomainError('INVALID_PAGE', 'give first or last, not both');
  return hasLast ? { size: clampPageSize(page.last!), forward: false } : { size: clampPageSize(page.first ?? DEFAULT_PAGE_SIZE), forward: true };
};

const listMessages = async (pool: pg.Pool, filter: MessageFilter, page: MessagePageArgs): Promise<Connection<MessageView>> => {
  const { size, forward } = directionOf(page);
  const newestFirst = (page.order ?? 'received_desc') === 'received_desc';
  const where = messageWhere(filter);
  const filterSql = where.conditions.length > 0 ? `WHERE ${where.conditions.join(' AND ')}` : '';
  const conditions = [...where.conditions];
  const params = [...where.params];
  // Row comparison against the (received_at, id) index: strictly beyond the cursor's row, later or earlier in list order.
  const beyond = (cursor: string, later: boolean): void => {
    const { receivedAt, id } = decodeCursor(cursor);
    params.push(receivedAt, id);
    conditions.push(`(received_at, id) ${later === newestFirst ? '<' : '>'} ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  };
  if (page.after) beyond(page.after, true);
  if (page.before) beyond(page.before, false);
  const pageSql = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  // Forwards the scan runs in list order; backwards against it from `before`, and the page is turned round after.
  const scan = newestFirst === forward ? 'DESC' : 'ASC';
  params.push(size + 1);
  // The count rides in the page's own statement, so both come from one snapshot: a page and its totalCount never
  // disagree (two statements could see a message committed between them). An empty page carries no count: without
  // a cursor the same snapshot then matched nothing; beyond a cursor the count is asked for on its own.
  const rows = await pool.query<MessageDbRow & { total: number }>(
    `SELECT ${COLUMNS}, (SELECT count(*)::float8 FROM messages ${filterSql}) AS total
       FROM messages ${pageSql} ORDER BY received_at ${scan}, id ${scan} LIMIT $${params.length}`, params);
  const totalCount = rows.rows[0]?.total ?? (page.after || page.before
    ? Number((await pool.query<{ n: number }>(`SELECT count(*)::float8 AS n FROM messages ${filterSql}`, [...where.params])).rows[0]?.n ?? 0)
    : 0);
  const more = rows.rows.length > size;
  const nodes = rows.rows.slice(0, size);
  if (!forward) nodes.reverse();
  const edges = nodes.map((r) => ({ cursor: cursorOf(r), node: toView(r) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: forward ? more : Boolean(page.before),
      endCursor: edges.at(-1)?.cursor ?? null,
      hasPreviousPage: forward ? Boolean(page.after) : more,
      startCursor: edges[0]?.cursor ?? null,
    },
    totalCount,
  };
};

const getMessage = async (pool: pg.Pool, id: string): Promise<MessageView | null> => {
  const key = normaliseId(id);
  if (key === null) return null;
  const { rows } = await pool.query<MessageDbRow>(`SELECT ${COLUMNS} FROM messages WHERE id = $1`, [key]);
  return rows[0] ? toView(rows[0]) : null;
};

type EventDbRow = {
  message_id: string; version: number; position: string; type: string; schema_version: number;
  recorded_at: Date; data: unknown; metadata: MessageEventView['metadata'];
};

const getMessageEvents = async (pool: pg.Pool, messageId: string): Promise<MessageEventView[]> => {
  const key = normaliseId(messageId);
  if (key === null) return [];
  const { rows } = await pool.query<EventDbRow>(
    `SELECT message_id::text AS message_id, version, position, type, schema_version, recorded_at, data, metadata
       FROM message_events WHERE message_id = $1 ORDER BY version`, [key]);
  return rows.map((r) => ({
    messageId: r.message_id, version: r.version, position: r.position, type: r.type, schemaVersion: r.schema_version,
    recordedAt: r.recorded_at.toISOString(), data: r.data, metadata: r.metadata,
  }));
};

/**
 * The message read model over the `messages` and `message_events` views. Lists are ordered by (received_at, id),
 * newest first unless `order` is `received_asc`; a cursor names a row position (valid in either order and direction),
 * so paging neither repeats nor skips rows while new messages arrive (messages newer than the cursor show up on a
 * fresh first page). Relay semantics: `first`/`after` read forwards, `last`/`before` backwards, each clamped to 1..200;
 * `hasPreviousPage` is true whenever `after` was given (forwards), `hasNextPage` whenever `before` was (backwards);
 * `totalCount` counts the whole filter, not the page. An unparseable cursor or timestamp, or both `first` and `last`,
 * throws `DomainError` (`INVALID_CURSOR`, `INVALID_FILTER`, `INVALID_PAGE`).
 */
export const createMessageReadModel = (pool: pg.Pool): MessageReadModel => ({
  getMessage: (id) => getMessage(pool, id),
  listMessages: (filter, page) => listMessages(pool, filter, page),
  getMessageEvents: (messageId) => getMessageEvents(pool, messageId),
});
