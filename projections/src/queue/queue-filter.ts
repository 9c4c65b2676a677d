import { isUuid } from '@elemta/domain';
import { decodeKey, encodeKey } from '../read/cursor.js';
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

export const encodeQueueCursor = (c: QueueCursor): string => encodeKey([c.acceptedAt, c.messageId, c.recipient]);

/** Throws `DomainError('INVALID_CURSOR')` for anything `encodeQueueCursor` did not produce. */
export const decodeQueueCursor = (value: string): QueueCursor => {
  const [acceptedAt, messageId, recipient] = decodeKey(value, 3) as [string, string, string];
  return { acceptedAt, messageId, recipient };
};
