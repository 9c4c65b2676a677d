import { assertNever, DomainError } from '../errors.js';
import { messageAccepted, messageQueued, type MessageEvent } from '../events/message-events.js';
import type { AcceptMessage, MessageCommand } from './commands.js';
import { cancel, hold, release, requestRetry } from './decide-admin.js';
import { expire, recordAttempt } from './decide-delivery.js';
import type { MessageState } from './state.js';

export const decide = (command: MessageCommand, state: MessageState): MessageEvent[] => {
  switch (command.type) {
    case 'AcceptMessage':
      return accept(command, state);
    case 'RecordDeliveryAttempt':
      return recordAttempt(command, state);
    case 'ExpireMessage':
      return expire(command, state);
    case 'HoldMessage':
      return hold(command, state);
    case 'ReleaseMessage':
      return release(command, state);
    case 'CancelMessage':
      return cancel(command, state);
    case 'RequestRetry':
      return requestRetry(command, state);
    default:
      return assertNever(command);
  }
};

const accept = ({ data, metadata }: AcceptMessage, state: MessageState): MessageEvent[] => {
  if (state.status !== 'New') return []; // the client retried after a lost 250: the message is already ours
  if (data.envelope.rcptTo.length === 0) throw new DomainError('NO_RECIPIENTS', 'message has no recipients');
  const unique = new Set(data.envelope.rcptTo.map((r) => r.toLowerCase()));
  if (unique.size !== data.envelope.rcptTo.length) {
    throw new DomainError('DUPLICATE_RECIPIENT', 'a recipient appears twice in the envelope');
  }
  const routed = new Set(data.recipients.map((r) => r.address));
  const missing = data.envelope.rcptTo.filter((r) => !routed.has(r));
  if (missing.length > 0 || routed.size !== data.envelope.rcptTo.length) {
    throw new DomainError('UNROUTED_RECIPIENT', `recipients without a route: ${missing.join(', ') || '(mismatch)'}`);
  }
  if (!Number.isInteger(data.sizeBytes) || data.sizeBytes < 0) throw new DomainError('INVALID_SIZE', 'size must be a non-negative integer');
  const { recipients, ...accepted } = data;
  return [
    messageAccepted({ ...accepted, annotations: { ...accepted.annotations }, acceptedAt: metadata.now }),
    messageQueued({ messageId: data.messageId, recipients: [...recipients], queuedAt: metadata.now }),
  ];
};
