import type { Decider } from '../decider.js';
import type { MessageEvent } from '../events/message-events.js';
import type { MessageCommand } from './commands.js';
import { decide } from './decide.js';
import { evolve, initialState, type MessageState } from './state.js';

export * from './commands.js';
export { decide } from './decide.js';
export {
  dueRecipients, evolve, expiresAt, initialState, pendingOf, DSN_FOR_ANNOTATION,
  type KnownMessageState, type MessageState, type RecipientState, type RecipientStatus,
} from './state.js';

export const messageDecider: Decider<MessageCommand, MessageEvent, MessageState> = { initialState, decide, evolve };
