import { isUuid, type MessageEvent, type RecordedEvent, type SessionEvent } from '@elemta/domain';

/** The counters of the `stats` view, all per bucket. */
export const STATS_COUNTERS = ['received', 'delivered', 'deferred', 'bounced', 'rejected', 'expired'] as const;
export type StatsCounter = (typeof STATS_COUNTERS)[number];
export type StatsCounts = Readonly<Record<StatsCounter, number>>;

/** Bucket sizes: the view stores each count at all three, so a read scans at most one row per bucket and key. */
export type StatsResolution = 'minute' | 'hour' | 'day';
export const STATS_RESOLUTIONS: readonly StatsResolution[] = ['minute', 'hour', 'day'];
export const BUCKET_MS: Readonly<Record<StatsResolution, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/**
 * What a count is attributed to. `listener` holds every counter (deliveries under the listener that received the
 * message), so its rows summed over keys are the totals; `zone` holds only the delivery outcomes (received and
 * rejected mail has no zone yet).
 */
export type StatsDimension = 'listener' | 'zone';

/** The key used when the listener or zone cannot be known (a rejection in an unrecorded session, an unrouted recipient). */
export const UNKNOWN_KEY = 'unknown';

/** One stored counter row: the increments a batch adds to it. */
export type StatsCell = Readonly<{ resolution: StatsResolution; dimension: StatsDimension; key: string; bucketStart: string; counts: StatsCounts }>;

/** What the fold needs to know about a message: who received it and the zone of each recipient. */
export type StatsMessage = Readonly<{ listener: string; recipients: readonly Readonly<{ address: string; zone: string | null }>[] }>;

/**
 * The fold state of one batch: the listener of each session it saw (null once the session ended), the messages it
 * needs, and the counter increments it produced. Sessions and messages come loaded from the database and are
 * extended by the batch's own `SessionStarted`, `MessageAccepted` and `MessageQueued`.
 */
export type StatsState = Readonly<{
  sessions: ReadonlyMap<string, string | null>;
  messages: ReadonlyMap<string, StatsMessage>;
  cells: ReadonlyMap<string, StatsCell>;
}>;

export const statsHandles = [
  'MessageAccepted', 'MessageQueued', 'RecipientDelivered', 'RecipientDeferred', 'RecipientBounced', 'MessageExpired',
  'SessionStarted', 'SessionEnded', 'MessageRejected',
] as const satisfies readonly (MessageEvent | SessionEvent)['type'][];

type Handled = Extract<MessageEvent | SessionEvent, { type: (typeof statsHandles)[number] }>;
type Of<T extends Handled['type']> = RecordedEvent<Extract<Handled, { type: T }>>;
const handled: ReadonlySet<string> = new Set(statsHandles);

export const emptyStatsState = (): StatsState => ({ sessions: new Map(), messages: new Map(), cells: new Map() });

const ZERO: StatsCounts = { received: 0, delivered: 0, deferred: 0, bounced: 0, rejected: 0, expired: 0 };

/** The start of the UTC bucket holding `at` (ISO-8601), as ISO-8601; null for an unparseable time. */
export const bucketStartOf = (at: string, resolution: StatsResolution): string | null => {
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? null : isoOf(bucketStartMs(ms, resolution));
};

const bucketStartMs = (ms: number, resolution: StatsResolution): number => {
  const size = BUCKET_MS[resolution];
  return ms - (((ms % size) + size) % size);
};

// Events of a batch fall into a handful of buckets: each bucket's ISO string is made once, not per event.
const isoStrings = new Map<number, string>();
const isoOf = (ms: number): string => {
  let iso = isoStrings.get(ms);
  if (iso === undefined) {
    if (isoStrings.size >= 256) isoStrings.clear();
    iso = new Date(ms).toISOString();
    isoStrings.set(ms, iso);
  }
  return iso;
};

/** The message key of an event, or null when it has none that the views accept (not a lower-case UUID, as in `messages`). */
const messageKey = (event: RecordedEvent): string | null => {
  const id = (event.data as { messageId?: unknown } | null)?.messageId;
  return typeof id === 'string' && isUuid(id) ? id : null;
};

/**
 * The state a batch folds into: its own copies of the maps, changed in place (one copy per batch, not per event;
 * `evolveStats` and `foldStatsBatch` make that copy, so callers still see a pure fold).
 */
type Working = { sessions: Map<string, string | null>; messages: Map<string, StatsMessage>; cells: Map<string, StatsCell> };
const working = (state: StatsState): Working =>
  ({ sessions: new Map(state.sessions), messages: new Map(state.messages), cells: new Map(state.cells) });

/** Adds one to `counter` at `at`, once per resolution and attribution. */
const count = (state: Working, at: string, counter: StatsCounter, keys: readonly [StatsDimension, string][]): void => {
  const ms = Date.parse(at);
  if (Number.isNaN(ms)) return;
  for (const resolution of STATS_RESOLUTIONS) {
    const bucketStart = isoOf(bucketStartMs(ms, resolution));
    for (const [dimension, key] of keys) {
      const id = `${resolution}|${dimension}|${key}|${bucketStart}`;
      const cell = state.cells.get(id) ?? { resolution, dimension, key, bucketStart, counts: ZERO };
      state.cells.set(id, { ...cell, counts: { ...cell.counts, [counter]: cell.counts[counter] + 1 } });
    }
  }
};

/** Exact match first; addresses differ only in case when a later event spelled them differently (as in `messages`). */
const recipientIndex = (msg: StatsMessage, address: string): number => {
  const exact = msg.recipients.findIndex((r) => r.address === address);
  if (exact >= 0) return exact;
  const lower = address.toLowerCase();
  return msg.recipients.findIndex((r) => r.address.toLowerCase() === lower);
};

const zoneOf = (msg: StatsMessage | undefined, address: string): string => {
  const r = msg ? msg.recipients[recipientIndex(msg, address)] : undefined;
  return r?.zone ?? UNKNOWN_KEY;
};

const accepted = (state: Working, key: string, event: Of<'MessageAccepted'>): void => {
  const d = event.data;
  // the decider appends one per stream; a repeat within a batch (a stream written by hand) is no new message
  if (state.messages.has(key)) return;
  state.messages.set(key, { listener: d.listener, recipients: d.envelope.rcptTo.map((address) => ({ address, zone: null })) });
  count(state, d.acceptedAt, 'received', [['listener', d.listener]]);
};

const routed = (state: Working, key: string, event: Of<'MessageQueued'>): void => {
  const msg = state.messages.get(key);
  if (!msg) return;
  const recipients = [...msg.recipients];
  for (const q of event.data.recipients) {
    const i = recipientIndex({ ...msg, recipients }, q.address);
    if (i >= 0) recipients[i] = { address: recipients[i]!.address, zone: q.zone };
    else recipients.push({ address: q.address, zone: q.zone });
  }
  state.messages.set(key, { ...msg, recipients });
};

/** A delivery outcome for some recipients, counted per recipient under its zone and the message's listener. */
const outcome = (state: Working, key: string, at: string, counter: StatsCounter, recipients: readonly string[]): void => {
  const msg = state.messages.get(key);
  const listener = msg?.listener ?? UNKNOWN_KEY;
  for (const r of recipients) count(state, at, counter, [['zone', zoneOf(msg, r)], ['listener', listener]]);
};

/**
 * Folds one event into the batch state. Pure and deterministic: times come from the events (the time the
 * outcome happened, bucketed in UTC), so a replay counts every event into the same buckets. Counts are per message
 * for `received` and `rejected` (a `MessageRejected` under its session's listener) and per recipient for the
 * delivery outcomes; `MessageExpired` counts each recipient it lists.
 */
export const evolveStats = (current: StatsState | null, recorded: RecordedEvent): StatsState =>
  foldStatsBatch(current ?? emptyStatsState(), [recorded]);

/** Folds a batch's events into its loaded state: `evolveStats` over them, with one copy of the state for the batch. */
export const foldStatsBatch = (loaded: StatsState, events: readonly RecordedEvent[]): StatsState => {
  const state = working(loaded);
  for (const event of events) apply(state, event);
  return state;
};

const apply = (state: Working, recorded: RecordedEvent): void => {
  if (!handled.has(recorded.type)) return;
  const event = recorded as RecordedEvent<Handled>;
  const key = messageKey(event);
  switch (event.type) {
    case 'SessionStarted': return void state.sessions.set(event.data.sessionId, event.data.listener);
    case 'SessionEnded': return void state.sessions.set(event.data.sessionId, null);
    case 'MessageRejected':
      return count(state, event.data.at, 'rejected', [['listener', state.sessions.get(event.data.sessionId) ?? UNKNOWN_KEY]]);
    case 'MessageAccepted': return key === null ? undefined : accepted(state, key, event);
    case 'MessageQueued': return key === null ? undefined : routed(state, key, event);
    case 'RecipientDelivered': return key === null ? undefined : outcome(state, key, event.data.at, 'delivered', [event.data.recipient]);
    case 'RecipientDeferred': return key === null ? undefined : outcome(state, key, event.data.at, 'deferred', [event.data.recipient]);
    case 'RecipientBounced': return key === null ? undefined : outcome(state, key, event.data.at, 'bounced', [event.data.recipient]);
    case 'MessageExpired': return key === null ? undefined : outcome(state, key, event.data.at, 'expired', event.data.recipients);
  }
};

/**
 * What a batch needs loaded before it is folded: the messages its delivery outcomes name (unless accepted earlier
 * in the batch) and the sessions of its rejections (unless started earlier in the batch).
 */
export const statsBatchKeys = (events: readonly RecordedEvent[]): { messageIds: string[]; sessionIds: string[] } => {
  const accepted = new Set<string>();
  const started = new Set<string>();
  const messageIds = new Set<string>();
  const sessionIds = new Set<string>();
  for (const event of events) {
    if (event.type === 'SessionStarted') started.add((event as Of<'SessionStarted'>).data.sessionId);
    if (event.type === 'MessageRejected') {
      const id = (event as Of<'MessageRejected'>).data.sessionId;
      if (!started.has(id)) sessionIds.add(id);
      continue;
    }
    if (!handled.has(event.type) || event.type.startsWith('Session')) continue;
    const key = messageKey(event);
    if (key === null) continue;
    if (event.type === 'MessageAccepted') accepted.add(key);
    else if (!accepted.has(key)) messageIds.add(key);
  }
  return { messageIds: [...messageIds], sessionIds: [...sessionIds] };
};
