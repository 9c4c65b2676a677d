import { isUuid, type MessageEvent, type RecordedEvent } from '@elemta/domain';
import type { MessageStatus, MessageView, RecipientView } from '../read-models.js';

export type RecipientStatus = RecipientView['status'];
export type RecipientRow = RecipientView;

/** One row of the `messages` view, as readers see it. Timestamps are ISO-8601 strings taken from events, never from the clock. */
export type MessageRow = MessageView;

export const messagesHandles = [
  'MessageAccepted', 'MessageQueued', 'RecipientDelivered', 'RecipientDeferred', 'RecipientBounced',
  'MessageHeld', 'MessageReleased', 'MessageCancelled', 'MessageExpired',
] as const satisfies readonly MessageEvent['type'][];

type Handled = Extract<MessageEvent, { type: (typeof messagesHandles)[number] }>;
const handled: ReadonlySet<string> = new Set(messagesHandles);

/** The row an event belongs to, or null when the messages view ignores it (other type, or an id that is not a UUID). */
export const messageKeyOf = (event: RecordedEvent): string | null => {
  if (!handled.has(event.type)) return null;
  const id = (event.data as { messageId?: unknown } | null)?.messageId;
  return typeof id === 'string' && isUuid(id) ? id : null;
};

const FINAL: ReadonlySet<RecipientStatus> = new Set(['delivered', 'bounced', 'expired', 'cancelled']);
const isPending = (r: RecipientRow): boolean => !FINAL.has(r.status);

/**
 * The message status from its recipients: while any is pending, held > deferred > queued;
 * once all are final, their common status, or `partial` when they differ.
 */
export const messageStatusOf = (recipients: readonly RecipientRow[]): MessageStatus => {
  const pending = recipients.filter(isPending);
  if (pending.length > 0) {
    if (pending.some((r) => r.status === 'held')) return 'held';
    if (pending.some((r) => r.status === 'deferred')) return 'deferred';
    return 'queued';
  }
  const first = recipients[0]?.status;
  if (first === undefined) return 'queued';
  return recipients.every((r) => r.status === first) ? (first as MessageStatus) : 'partial';
};

const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

const accepted = (event: RecordedEvent<Extract<Handled, { type: 'MessageAccepted' }>>): MessageRow => {
  const d = event.data;
  return {
    id: d.messageId,
    status: 'queued',
    mailFrom: d.envelope.mailFrom,
    recipients: d.envelope.rcptTo.map((address) => ({ address, domain: domainOf(address), status: 'queued', route: null, zone: null })),
    subject: d.headers.subject,
    fromHeader: d.headers.from,
    messageIdHeader: d.headers.messageId,
    sizeBytes: d.sizeBytes,
    bodySha256: d.bodySha256,
    receivedAt: d.acceptedAt,
    updatedAt: event.metadata.recordedAt,
    listener: d.listener,
    clientAddress: d.client?.address ?? null,
    authUser: d.authUser,
    sessionId: d.sessionId,
    // Who submitted it decides who may read it: an integrator's key sees only its own messages.
    submittedBy: event.metadata.actor,
  };
};

/** Exact match first; addresses differ only in case when a later event spelled them differently. */
const matches = (recipients: readonly RecipientRow[], address: string): (r: RecipientRow) => boolean => {
  if (recipients.some((r) => r.address === address)) return (r) => r.address === address;
  const lower = address.toLowerCase();
  return (r) => r.address.toLowerCase() === lower;
};

type Change = (r: RecipientRow) => RecipientRow;
const toStatus = (status: RecipientStatus, from: readonly RecipientStatus[]): Change =>
  (r) => (from.includes(r.status) ? { ...r, status } : r);
const PENDING: readonly RecipientStatus[] = ['queued', 'deferred', 'held'];

const updateRecipients = (row: MessageRow, event: RecordedEvent, pick: (r: RecipientRow) => boolean, change: Change): MessageRow => {
  const recipients = row.recipients.map((r) => (pick(r) ? change(r) : r));
  return { ...row, recipients, status: messageStatusOf(recipients), updatedAt: event.metadata.recordedAt };
};

const forOne = (row: MessageRow, event: RecordedEvent, address: string, change: Change): MessageRow =>
  updateRecipients(row, event, matches(row.recipients, address), change);

const forSome = (row: MessageRow, event: RecordedEvent, addresses: readonly string[], change: Change): MessageRow =>
  addresses.reduce((next, a) => forOne(next, event, a, change), row);

const all = (): boolean => true;

/**
 * Folds one event into a message row. Pure: the row's timestamps come from the events, so a replay
 * produces the same row. Events before `MessageAccepted` (or a second `MessageAccepted`) leave the row as it was;
 * final recipient statuses never change, matching the decider's `evolve`.
 */
export const evolveMessageRow = (row: MessageRow | null, recorded: RecordedEvent): MessageRow | null => {
  if (messageKeyOf(recorded) === null) return row;
  const event = recorded as RecordedEvent<Handled>;
  if (event.type === 'MessageAccepted') return row ?? accepted(event);
  if (row === null) return null;
  switch (event.type) {
    case 'MessageQueued':
      return event.data.recipients.reduce((next, q) => forOne(next, event, q.address, (r) => ({ ...r, route: q.route, zone: q.zone })), row);
    case 'RecipientDelivered':
      return forOne(row, event, event.data.recipient, toStatus('delivered', PENDING));
    case 'RecipientBounced':
      return forOne(row, event, event.data.recipient, toStatus('bounced', PENDING));
    case 'RecipientDeferred':
      return forOne(row, event, event.data.recipient, toStatus('deferred', ['queued', 'deferred']));
    case 'MessageExpired':
      return forSome(row, event, event.data.recipients, toStatus('expired', PENDING));
    case 'MessageHeld':
      return updateRecipients(row, event, all, toStatus('held', ['queued', 'deferred']));
    case 'MessageReleased':
      return updateRecipients(row, event, all, toStatus('queued', ['held']));
    case 'MessageCancelled':
      return updateRecipients(row, event, all, toStatus('cancelled', PENDING));
  }
};
