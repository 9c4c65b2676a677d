import { DomainError, isUuid } from '@elemta/domain';
import type { SqlWhere } from '../read/message-filter.js';
import type { QueueRowStatus } from './queue.fold.js';

/** A row's status as readers see it: `delivering` while its message is leased (held rows stay `held`). */
export type QueueStatus = QueueRowStatus | 'delivering';

export type QueueFilter = Readonly<{
  status?: readonly QueueStatus[];
  zone?: string;
  /** Recipient domain, case-insensitive. */
  domain?: string;
  /** Envelope sender, exact and case-insensitive; '' is the null sender. */
  sender?: string;
  route?: string;
  messageId?: string;
}>;

/** The FROM clause every reader uses: a leased message's row joins its live (unexpired, unreleased) lease. */
export const QUEUE_FROM = `
  queue q LEFT JOIN queue_leases l ON l.message_id = q.message_id AND NOT l.released AND l.expires_at > now()`;

/** The status a row reports (over `QUEUE_FROM`). */
export const REPORTED_STATUS = `(CASE WHEN q.status <> 'held' AND l.message_id IS NOT NULL THEN 'delivering' ELSE q.status END)`;

/** The WHERE conditions of a queue filter over `QUEUE_FROM`; all conditions hold together (AND). */
export const queueWhere = (filter: QueueFilter): SqlWhere => {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (p: string) => string, value: unknown): void => {
    params.push(value);
    conditions.push(sql(`$${params.length}`));
  };
  if (filter.status && filter.status.length > 0) add((p) => `${REPORTED_STATUS} = ANY(${p}::text[])`, [...filter.status]);
  if (filter.zone !== undefined) add((p) => `q.zone = ${p}`, filter.zone);
  if (filter.domain !== undefined) add((p) => `q.domain = lower(${p})`, filter.domain);
  if (filter.sender !== undefined) add((p) => `lower(q.mail_from) = lower(${p})`, filter.sender);
  if (filter.route !== undefined) add((p) => `q.route = ${p}`, filter.route);
  if (filter.messageId !== undefined) {
    const id = filter.messageId.trim().toLowerCase();
    if (isUuid(id)) add((p) => `q.message_id = ${p}::uuid`, id);
    else conditions.push('false');
  }
  return { conditions, params };
};

/** A position in the oldest-first order of the queue listing: accepted time (ISO, microseconds), message id, recipient. */
export type QueueCursor = Readonly<{ acceptedAt: string; messageId: string; recipient: string }>;

/** Opaque to clients: base64url of a small JSON array. */
export const encodeQueueCursor = (c: QueueCursor): string =>
  Buffer.from(JSON.stringify([c.acceptedAt, c.messageId, c.recipient]), 'utf8').toString('base64url');

/** Throws `DomainError('INVALID_CURSOR')` for anything `encodeQueueCursor` did not produce. */
export const decodeQueueCursor = (value: string): QueueCursor => {
  const invalid = new DomainError('INVALID_CURSOR', 'invalid pagination cursor');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw invalid;
  const [acceptedAt, messageId, recipient] = parsed as unknown[];
  if (typeof acceptedAt !== 'string' || Number.isNaN(Date.parse(acceptedAt))) throw invalid;
  if (typeof messageId !== 'string' || !isUuid(messageId) || typeof recipient !== 'string') throw invalid;
  return { acceptedAt, messageId, recipient };
};
