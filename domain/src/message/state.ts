import type { Priority } from '../events/common.js';
import type { MessageEvent } from '../events/message-events.js';

export type RecipientStatus = 'pending' | 'delivered' | 'bounced' | 'expired' | 'cancelled';

/** What `decide` needs to know of one envelope recipient. */
export type RecipientState = Readonly<{
  status: RecipientStatus;
  domain: string;
  route: string;
  zone: string;
  priority: Priority;
  /** Attempts made so far. */
  attempts: number;
  /** When the recipient is next due (ISO-8601); meaningful while pending. */
  nextAttemptAt: string;
}>;

type Known = Readonly<{
  messageId: string;
  /** '' is the null reverse-path: such a message (a DSN) is never bounced back (RFC 5321 §4.5.5). */
  mailFrom: string;
  /** The message itself is a delivery status notification (it carries `elemta.dsnFor`). */
  isDsn: boolean;
  acceptedAt: string;
  held: boolean;
  cancelled: boolean;
  recipients: Readonly<Record<string, RecipientState>>;
  /** Attempt ids already recorded, so that recording one twice is a no-op. */
  attemptIds: readonly string[];
}>;

/** `Queued` while any recipient is pending; `Finished` once every recipient is settled. */
export type MessageState =
  | Readonly<{ status: 'New' }>
  | Readonly<{ status: 'Queued' } & Known>
  | Readonly<{ status: 'Finished' } & Known>;

export type KnownMessageState = Exclude<MessageState, { status: 'New' }>;

export const initialState: MessageState = { status: 'New' };

export const DSN_FOR_ANNOTATION = 'elemta.dsnFor';

/** Never throws: an event that does not apply leaves the state as it was. */
export const evolve = (state: MessageState, event: MessageEvent): MessageState => {
  switch (event.type) {
    case 'MessageAccepted': {
      if (state.status !== 'New') return state;
      const { data } = event;
      const recipients = Object.fromEntries(data.envelope.rcptTo.map((r) => [r, {
        status: 'pending' as const, domain: '', route: '', zone: '', priority: 'normal' as const, attempts: 0, nextAttemptAt: data.acceptedAt,
      }]));
      return {
        status: 'Queued', messageId: data.messageId, mailFrom: data.envelope.mailFrom,
        isDsn: data.annotations[DSN_FOR_ANNOTATION] !== undefined, acceptedAt: data.acceptedAt,
        held: false, cancelled: false, recipients, attemptIds: [],
      };
    }
    case 'MessageQueued':
      return update(state, event.data.recipients.map((r) => r.address), (r, address) => {
        const q = event.data.recipients.find((x) => x.address === address)!;
        return { ...r, domain: q.domain, route: q.route, zone: q.zone, priority: q.priority, nextAttemptAt: q.notBefore };
      });
    case 'DeliveryAttempted':
      if (state.status === 'New') return state;
      return {
        ...update(state, event.data.recipients, (r) => ({ ...r, attempts: r.attempts + 1 })),
        attemptIds: [...state.attemptIds, event.data.attemptId],
      } as MessageState;
    case 'RecipientDeferred':
      return update(state, [event.data.recipient], (r) => ({ ...r, nextAttemptAt: event.data.nextAttemptAt }));
    case 'RetryScheduled':
      return update(state, event.data.recipients, (r) => ({ ...r, nextAttemptAt: event.data.at }));
    case 'RetryRequested':
      return state.status === 'New' ? state : update(state, pendingOf(state), (r) => ({ ...r, nextAttemptAt: event.data.at }));
    case 'MessageHeld':
      return state.status === 'Queued' ? { ...state, held: true } : state;
    case 'MessageReleased':
      return state.status === 'Queued' ? { ...state, held: false } : state;
    case 'RecipientDelivered':
      return settle(state, [event.data.recipient], 'delivered');
    case 'RecipientBounced':
      return settle(state, [event.data.recipient], 'bounced');
    case 'MessageExpired':
      return settle(state, event.data.recipients, 'expired');
    case 'MessageCancelled':
      return state.status === 'Queued' ? settle({ ...state, cancelled: true }, pendingOf(state), 'cancelled') : state;
    default:
      return state;
  }
};

export const pendingOf = (state: KnownMessageState): string[] =>
  Object.entries(state.recipients).filter(([, r]) => r.status === 'pending').map(([address]) => address);

const update = (
  state: MessageState, addresses: readonly string[], change: (r: RecipientState, address: string) => RecipientState,
): MessageState => {
  if (state.status === 'New') return state;
  const next = { ...state.recipients };
  for (const a of addresses) {
    const r = next[a];
    if (r) next[a] = change(r, a);
  }
  return { ...state, recipients: next };
};

const settle = (state: MessageState, addresses: readonly string[], to: RecipientStatus): MessageState => {
  if (state.status !== 'Queued') return state;
  const settled = update(state, addresses, (r) => (r.status === 'pending' ? { ...r, status: to } : r));
  if (settled.status === 'New') return settled;
  const done = Object.values(settled.recipients).every((r) => r.status !== 'pending');
  return done ? { ...settled, status: 'Finished', held: false } : settled;
};

/**
 * Recipients that may be attempted at `now`: pending, not held, due. The queue view only says what is probably due;
 * a worker asks this of the state folded from the stream before it delivers (DESIGN.md, Delivery).
 */
export const dueRecipients = (state: MessageState, now: string): string[] => {
  if (state.status !== 'Queued' || state.held) return [];
  const at = Date.parse(now);
  return Object.entries(state.recipients)
    .filter(([, r]) => r.status === 'pending' && Date.parse(r.nextAttemptAt) <= at)
    .map(([address]) => address);
};

/** When the message expires: accepted + the maximum queue time. */
export const expiresAt = (state: KnownMessageState, maxQueueSeconds: number): number =>
  Date.parse(state.acceptedAt) + maxQueueSeconds * 1000;
