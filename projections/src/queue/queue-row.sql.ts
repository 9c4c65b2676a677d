import type { SmtpReply } from '@elemta/domain';
import { priorityOfRank, type QueueRow, type QueueRowStatus } from './queue.fold.js';

/** The `queue` columns readers select, from the table aliased `q`. */
export const QUEUE_ROW_COLUMNS = `
  q.message_id::text AS message_id, q.recipient, q.domain, q.route, q.zone, q.priority, q.status, q.mail_from,
  q.accepted_at, q.next_attempt_at, q.attempts, q.last_attempt_at, q.last_reply, q.updated_position`;

export type QueueDbRow = {
  message_id: string; recipient: string; domain: string; route: string; zone: string; priority: number;
  status: QueueRowStatus; mail_from: string; accepted_at: Date; next_attempt_at: Date; attempts: number;
  last_attempt_at: Date | null; last_reply: SmtpReply | null; updated_position: string;
};

/** A stored row as readers see it; timestamps become ISO-8601 UTC with milliseconds. */
export const toQueueRow = (r: QueueDbRow): QueueRow => ({
  messageId: r.message_id, recipient: r.recipient, domain: r.domain, route: r.route, zone: r.zone,
  priority: priorityOfRank(r.priority), status: r.status, mailFrom: r.mail_from, acceptedAt: r.accepted_at.toISOString(),
  nextAttemptAt: r.next_attempt_at.toISOString(), attempts: r.attempts, lastAttemptAt: r.last_attempt_at?.toISOString() ?? null,
  lastReply: r.last_reply, updatedPosition: r.updated_position,
});
