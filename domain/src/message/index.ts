import type { Decider } from '../decider.js';
import type { MessageEvent } from '../events/message-events.js';
import type { MessageCommand } from './commands.js';
import { decide } from './decide.js';
import { evolve, initialState, type MessageState } from './state.js';

export * from './commands.js';
export { decide } from './decide.js';
export { evolve, initialState, type MessageState, type RecipientStatus } from './state.js';

export const messageDecider: Decider<MessageCommand, MessageEvent, MessageState> = { initialState, decide, evolve };
