import { DomainError } from '../errors.js';
import {
  messageCancelled, messageHeld, messageReleased, retryRequested, type MessageEvent,
} from '../events/message-events.js';
import type { AdminCommand, CancelMessage, HoldMessage, ReleaseMessage, RequestRetry } from './commands.js';
import type { KnownMessageState, MessageState } from './state.js';

/** The message must exist and still have a pending recipient; admin actions on settled mail are refused. */
const pendingMessage = (command: AdminCommand, state: MessageState): Extract<KnownMessageState, { status: 'Queued' }> => {
  if (state.status === 'New') throw new DomainError('MESSAGE_NOT_FOUND', `message ${command.data.messageId} does not exist`);
  if (state.status === 'Finished') {
    const why = state.cancelled ? 'was cancelled' : 'has no pending recipients';
    throw new DomainError(state.cancelled ? 'MESSAGE_CANCELLED' : 'MESSAGE_FINISHED', `message ${command.data.messageId} ${why}`);
  }
  return state;
};

const adminData = ({ data, metadata }: AdminCommand) =>
  ({ messageId: data.messageId, actor: data.actor, reason: data.reason, at: metadata.now });

/** Holding a held message is a no-op. */
export const hold = (command: HoldMessage, state: MessageState): MessageEvent[] =>
  pendingMessage(command, state).held ? [] : [messageHeld(adminData(command))];

export const release = (command: ReleaseMessage, state: MessageState): MessageEvent[] => {
  if (!pendingMessage(command, state).held) {
    throw new DomainError('MESSAGE_NOT_HELD', `message ${command.data.messageId} is not held`);
  }
  return [messageReleased(adminData(command))];
};

/** Settles every pending recipient; no DSN goes out for an administrative cancel (as `postsuper -d`). */
export const cancel = (command: CancelMessage, state: MessageState): MessageEvent[] => {
  pendingMessage(command, state);
  return [messageCancelled(adminData(command))];
};

/** Makes every pending recipient due now; a held message must be released first. */
export const requestRetry = (command: RequestRetry, state: MessageState): MessageEvent[] => {
  if (pendingMessage(command, state).held) {
    throw new DomainError('MESSAGE_HELD', `message ${command.data.messageId} is held; release it first`);
  }
  return [retryRequested(adminData(command))];
};
