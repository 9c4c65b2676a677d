import { DomainError } from '@elemta/domain';
import type { MessageFilter } from '../read-models.js';

/** A parameterised WHERE clause; `params` are numbered from 1 in the order of `conditions`. */
export type SqlWhere = Readonly<{ conditions: readonly string[]; params: readonly unknown[] }>;

/** `%` and `_` are wildcards in LIKE; a search for "50%_off" means the characters themselves. */
export const likePattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Message-ID is matched exactly, with or without the angle brackets of RFC 5322 §3.6.4. */
export const messageIdVariants = (value: string): string[] => {
  const bare = value.trim().replace(/^<(.*)>$/, '$1');
  return [bare, `<${bare}>`];
};

const timestamp = (name: string, value: string): string => {
  if (Number.isNaN(Date.parse(value))) throw new DomainError('INVALID_FILTER', `${name} is not a timestamp: ${value}`);
  return value;
};

/**
 * The WHERE clause of a message filter. Sender and recipient are exact and case-insensitive; subject and search
 * are case-insensitive substrings; the received window is half-open: `receivedAfter <= received_at < receivedBefore`.
 */
export const messageWhere = (filter: MessageFilter): SqlWhere => {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (p: string) => string, value: unknown): void => {
    params.push(value);
    conditions.push(sql(`$${params.length}`));
  };
  if (filter.sender !== undefined) add((p) => `lower(mail_from) = lower(${p})`, filter.sender);
  if (filter.recipient !== undefined) add((p) => `recipient_addresses @> ARRAY[lower(${p})]`, filter.recipient);
  if (filter.messageIdHeader !== undefined) add((p) => `message_id_header = ANY(${p}::text[])`, messageIdVariants(filter.messageIdHeader));
  if (filter.subject) add((p) => `subject ILIKE ${p}`, likePattern(filter.subject));
  if (filter.status && filter.status.length > 0) add((p) => `status = ANY(${p}::text[])`, [...filter.status]);
  if (filter.receivedAfter !== undefined) add((p) => `received_at >= ${p}::timestamptz`, timestamp('receivedAfter', filter.receivedAfter));
  if (filter.receivedBefore !== undefined) add((p) => `received_at < ${p}::timestamptz`, timestamp('receivedBefore', filter.receivedBefore));
  if (filter.submittedBy !== undefined) add((p) => `submitted_by = ${p}`, filter.submittedBy);
  if (filter.search) {
    add((p) => `(mail_from ILIKE ${p} OR subject ILIKE ${p} OR message_id_header ILIKE ${p}
      OR EXISTS (SELECT 1 FROM unnest(recipient_addresses) AS a WHERE a ILIKE ${p}))`, likePattern(filter.search));
  }
  return { conditions, params };
};
