import { isUuid, type MessageEvent, type Priority, type RecordedEvent, type SmtpReply } from '@elemta/domain';

/** A pending recipient's state in the `queue` view; settled recipients have no row. */
export type QueueRowStatus = 'queued' | 'deferred' | 'held';

/** One row of the `queue` view: a recipient still to be delivered. Timestamps are ISO-8601 text from events. */
export type QueueRow = Readonly<{
  messageId: string;
  recipient: string;
  domain: string;
  route: string;
  zone: string;
  priority: Priority;
  status: QueueRowStatus;
  mailFrom: string;
  acceptedAt: string;
  nextAttemptAt: string;
  attempts: number;
  lastAttemptAt: string | null;
  lastReply: SmtpReply | null;
  /** Global position of the last event that changed the row. */
  updatedPosition: string;
}>;

/**
 * The fold state of one message: its envelope sender and pending rows. `routed` is false only between
 * `MessageAccepted` and `MessageQueued`; a routed message without pending rows is gone (null).
 */
export type QueueMessage = Readonly<{ messageId: string; mailFrom: string; acceptedAt: string; routed: boolean; rows: readonly QueueRow[] }>;

/** A DSN announced by `BounceQueued` whose own `MessageAccepted` has not been seen yet. */
export type DsnPendingRow = Readonly<{ dsnMessageId: string; messageId: string; recipients: readonly string[]; queuedAt: string }>;

export const queueHandles = [
  'MessageAccepted', 'MessageQueued', 'DeliveryAttempted', 'RecipientDelivered', 'RecipientDeferred', 'RecipientBounced',
  'RetryScheduled', 'MessageExpired', 'BounceQueued', 'MessageHeld', 'MessageReleased', 'MessageCancelled', 'RetryRequested',
] as const satisfies readonly MessageEvent['type'][];

type Handled = Extract<MessageEvent, { type: (typeof queueHandles)[number] }>;
type Of<T extends Handled['type']> = RecordedEvent<Extract<Handled, { type: T }>>;
const handled: ReadonlySet<string> = new Set(queueHandles);

/** The annotation a DSN's `MessageAccepted` carries: the id of the message it reports on. */
export const DSN_FOR_ANNOTATION = 'elemta.dsnFor';

/** The message an event belongs to, or null when the view ignores it (other type, or an id that is not a UUID). */
export const queueKeyOf = (event: RecordedEvent): string | null => {
  if (!handled.has(event.type)) return null;
  const id = (event.data as { messageId?: unknown } | null)?.messageId;
  return typeof id === 'string' && isUuid(id) ? id.toLowerCase() : null;
};

/** The DSN row an event creates or settles, or null: `BounceQueued` names it, a DSN's `MessageAccepted` settles it. */
export const dsnKeyOf = (event: RecordedEvent): string | null => {
  if (queueKeyOf(event) === null) return null;
  if (event.type === 'BounceQueued') {
    const dsn = (event as Of<'BounceQueued'>).data.dsnMessageId;
    return isUuid(dsn) ? dsn.toLowerCase() : null;
  }
  if (event.type === 'MessageAccepted') {
    const data = (event as Of<'MessageAccepted'>).data;
    return data.annotations[DSN_FOR_ANNOTATION] !== undefined ? data.messageId.toLowerCase() : null;
  }
  return null;
};

const PRIORITY_RANK: Readonly<Record<Priority, number>> = { low: 0, normal: 1, high: 2, critical: 3 };
const PRIORITIES: readonly Priority[] = ['low', 'normal', 'high', 'critical'];
/** 0 (low) … 3 (critical), as stored in `queue.priority`. */
export const priorityRank = (p: Priority): number => PRIORITY_RANK[p];
export const priorityOfRank = (rank: number): Priority => PRIORITIES[rank] ?? 'normal';

type Change = (row: QueueRow) => QueueRow | null;

/** Applies `change` to the picked rows; null removes a row. Returns `msg` itself when nothing changed. */
const updateRows = (msg: QueueMessage, pick: (r: QueueRow) => boolean, change: Change): QueueMessage | null => {
  let changed = false;
  const rows: QueueRow[] = [];
  for (const row of msg.rows) {
    const next = pick(row) ? change(row) : row;
    if (next !== row) changed = true;
    if (next !== null) rows.push(next);
  }
  if (!changed) return msg;
  return rows.length === 0 && msg.routed ? null : { ...msg, rows };
};

const named = (addresses: readonly string[]) => {
  const set = new Set(addresses);
  return (r: QueueRow): boolean => set.has(r.recipient);
};
const all = (): boolean => true;
const remove: Change = () => null;
const at = (event: RecordedEvent) => (patch: Partial<QueueRow>) => (row: QueueRow): QueueRow =>
  ({ ...row, ...patch, updatedPosition: event.metadata.position });

const routeRows = (msg: QueueMessage, event: Of<'MessageQueued'>): QueueMessage | null => {
  if (msg.routed) return msg;
  const rows = event.data.recipients.map((q): QueueRow => ({
    messageId: msg.messageId, recipient: q.address, domain: q.domain, route: q.route, zone: q.zone, priority: q.priority,
    status: 'queued', mailFrom: msg.mailFrom, acceptedAt: msg.acceptedAt, nextAttemptAt: q.notBefore, attempts: 0,
    lastAttemptAt: null, lastReply: null, updatedPosition: event.metadata.position,
  }));
  return rows.length === 0 ? null : { ...msg, routed: true, rows };
};

const deferRow = (event: Of<'RecipientDeferred'>): Change => (row) => at(event)({
  status: row.status === 'held' ? 'held' : 'deferred', attempts: event.data.attempt, nextAttemptAt: event.data.nextAttemptAt,
  lastReply: event.data.reply, lastAttemptAt: event.data.at,
})(row);

const release = (event: RecordedEvent): Change => (row) =>
  (row.status === 'held' ? at(event)({ status: row.attempts > 0 ? 'deferred' : 'queued' })(row) : row);
const hold = (event: RecordedEvent): Change => (row) => (row.status === 'held' ? row : at(event)({ status: 'held' })(row));
const retryNow = (event: RecordedEvent, due: string): Change => (row) =>
  (row.status === 'held' ? row : at(event)({ nextAttemptAt: due })(row));

/**
 * Folds one event into a message's queue state. Pure and deterministic (no clock): replaying the same events gives
 * the same rows. Events before `MessageAccepted`, or after every recipient settled, leave the state as it was.
 * Recipients are matched exactly as written in the events.
 */
export const evolveQueueMessage = (msg: QueueMessage | null, recorded: RecordedEvent): QueueMessage | null => {
  const key = queueKeyOf(recorded);
  if (key === null) return msg;
  const event = recorded as RecordedEvent<Handled>;
  if (event.type === 'MessageAccepted') {
    const d = event.data;
    return msg ?? { messageId: key, mailFrom: d.envelope.mailFrom, acceptedAt: d.acceptedAt, routed: false, rows: [] };
  }
  if (msg === null) return null;
  switch (event.type) {
    case 'MessageQueued': return routeRows(msg, event);
    case 'DeliveryAttempted': return updateRows(msg, named(event.data.recipients), at(event)({ lastAttemptAt: event.data.at }));
    case 'RecipientDelivered': return updateRows(msg, named([event.data.recipient]), remove);
    case 'RecipientBounced': return updateRows(msg, named([event.data.recipient]), remove);
    case 'RecipientDeferred': return updateRows(msg, named([event.data.recipient]), deferRow(event));
    case 'RetryScheduled': return updateRows(msg, named(event.data.recipients), at(event)({ nextAttemptAt: event.data.at }));
    case 'MessageExpired': return updateRows(msg, named(event.data.recipients), remove);
    case 'MessageHeld': return updateRows(msg, all, hold(event));
    case 'MessageReleased': return updateRows(msg, all, release(event));
    case 'MessageCancelled': return null;
    case 'RetryRequested': return updateRows(msg, all, retryNow(event, event.data.at));
    case 'BounceQueued': return msg;
  }
};

/** What the fold of a batch reads: the touched messages and DSN rows, as stored. */
export type QueueState = Readonly<{ messages: ReadonlyMap<string, QueueMessage>; dsns: ReadonlyMap<string, DsnPendingRow> }>;
/** What a batch changed; null deletes. */
export type QueueChanges = Readonly<{ messages: Map<string, QueueMessage | null>; dsns: Map<string, DsnPendingRow | null> }>;

/**
 * The DSN row after an event. A `BounceQueued` whose DSN message is already in the queue (accepted earlier, in this
 * batch or before) adds nothing, so both orders of the two events end with no row.
 */
const evolveDsn = (row: DsnPendingRow | null, event: RecordedEvent, dsnQueued: boolean): DsnPendingRow | null => {
  if (event.type === 'MessageAccepted') return null;
  if (row !== null || dsnQueued) return row;
  const d = (event as Of<'BounceQueued'>).data;
  return { dsnMessageId: d.dsnMessageId.toLowerCase(), messageId: d.messageId.toLowerCase(), recipients: [...d.recipients], queuedAt: d.at };
};

/** Folds a batch over the state it touches; returns only what changed. Pure. */
export const foldQueueBatch = (loaded: QueueState, events: readonly RecordedEvent[]): QueueChanges => {
  const messages = new Map<string, QueueMessage | null>(loaded.messages);
  const dsns = new Map<string, DsnPendingRow | null>(loaded.dsns);
  const changes: QueueChanges = { messages: new Map(), dsns: new Map() };
  for (const event of events) {
    const key = queueKeyOf(event);
    if (key === null) continue;
    const before = messages.get(key) ?? null;
    const after = evolveQueueMessage(before, event);
    if (after !== before) {
      messages.set(key, after);
      changes.messages.set(key, after);
    }
    const dsnKey = dsnKeyOf(event);
    if (dsnKey === null) continue;
    const dsnBefore = dsns.get(dsnKey) ?? null;
    const dsnAfter = evolveDsn(dsnBefore, event, (messages.get(dsnKey) ?? null) !== null);
    if (dsnAfter === dsnBefore) continue;
    dsns.set(dsnKey, dsnAfter);
    changes.dsns.set(dsnKey, dsnAfter);
  }
  return changes;
};
