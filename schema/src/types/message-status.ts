import type { MessageStatus as MessageStatusValue, RecipientView } from '@elemta/projections';
import { builder } from '../builder.js';
import { enumValues } from '../enum-values.js';

type RecipientStatusValue = RecipientView['status'];

export const MessageStatus = builder.enumType('MessageStatus', {
  description: "Where a message is in its lifecycle, summarising its recipients' states.",
  values: enumValues<MessageStatusValue>({
    queued: 'Accepted and waiting for its first delivery attempt.',
    deferred: 'At least one recipient failed temporarily and will be retried; none is finished yet.',
    held: 'Held by an operator or a policy; nothing is delivered until it is released.',
    delivering: 'A delivery attempt is in progress.',
    delivered: 'Every recipient was delivered.',
    bounced: 'Every recipient failed permanently.',
    expired: 'The maximum queue time passed before delivery; remaining recipients were given up.',
    cancelled: 'An operator cancelled the message before it was delivered.',
    partial: 'Finished with mixed results: some recipients were delivered, others bounced, expired or were cancelled.',
  }),
});

export const RecipientStatus = builder.enumType('RecipientStatus', {
  description: 'What has happened to one recipient of a message.',
  values: enumValues<RecipientStatusValue>({
    queued: 'Waiting for its first delivery attempt.',
    deferred: 'The last attempt failed temporarily; another attempt is scheduled.',
    held: 'Held by an operator or a policy.',
    delivered: 'The receiving server accepted the message for this recipient.',
    bounced: 'Failed permanently; a bounce is sent to the sender where appropriate.',
    expired: 'Not delivered within the maximum queue time.',
    cancelled: 'Cancelled by an operator.',
  }),
});
