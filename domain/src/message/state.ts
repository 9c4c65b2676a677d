import type { MessageEvent } from '../events/message-events.js';

export type RecipientStatus = 'pending' | 'delivered' | 'bounced' | 'expired' | 'cancelled';

export type MessageState =
  | Readonly<{ status: 'New' }>
  | Readonly<{
      status: 'Queued';
      messageId: string;
      held: boolean;
      recipients: Readonly<Record<string, RecipientStatus>>;
    }>
  | Readonly<{ status: 'Finished'; messageId: string }>;

export const initialState: MessageState = { status: 'New' };

/** Never throws: an event that does not apply leaves the state as it was. */
export const evolve = (state: MessageState, event: MessageEvent): MessageState => {
  switch (event.type) {
    case 'MessageAccepted':
      if (state.status !== 'New') return state;
      return {
        status: 'Queued',
        messageId: event.data.messageId,
        held: false,
        recipients: Object.fromEntries(event.data.envelope.rcptTo.map((r) => [r, 'pending' as const])),
      };
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
      return state.status === 'Queued' ? settle(state, pendingOf(state), 'cancelled') : state;
    default:
      return state;
  }
};

const pendingOf = (state: Extract<MessageState, { status: 'Queued' }>): string[] =>
  Object.entries(state.recipients).filter(([, s]) => s === 'pending').map(([r]) => r);

const settle = (state: MessageState, recipients: readonly string[], to: RecipientStatus): MessageState => {
  if (state.status !== 'Queued') return state;
  const next = { ...state.recipients };
  for (const r of recipients) if (next[r] === 'pending') next[r] = to;
  const done = Object.values(next).every((s) => s !== 'pending');
  return done ? { status: 'Finished', messageId: state.messageId } : { ...state, recipients: next };
};
