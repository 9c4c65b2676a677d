import type { MessageFilter as MessageFilterValue, MessageStatus as MessageStatusValue } from '@elemta/projections';
import { builder } from '../builder.js';
import { MessageStatus } from './message-status.js';

export const MessageFilter = builder.inputType('MessageFilter', {
  description: 'Narrows a list of messages. Every field given must match (AND); omitted or null fields match everything.',
  fields: (t) => ({
    sender: t.string({ description: 'The envelope sender (MAIL FROM): exact address, case-insensitive. An empty string finds bounces (null sender).' }),
    recipient: t.string({ description: 'An envelope recipient (RCPT TO): exact address, case-insensitive.' }),
    messageIdHeader: t.string({ description: 'The Message-ID header, exact, with or without the angle brackets.' }),
    subject: t.string({ description: 'A case-insensitive substring of the Subject header.' }),
    status: t.field({ type: [MessageStatus], description: 'Any of these statuses. An empty list is the same as omitting the field.' }),
    receivedAfter: t.field({ type: 'DateTime', description: 'Received at or after this time (inclusive).' }),
    receivedBefore: t.field({ type: 'DateTime', description: 'Received strictly before this time (exclusive).' }),
    search: t.string({
      description: 'Free text: a case-insensitive substring of the sender, any recipient, the subject or the Message-ID header.',
    }),
    submittedBy: t.string({
      description: 'Who submitted the message, exact: `api-key:<id>` or `smtp:<ip>`. An integrator key always lists only its own messages, so another submitter finds nothing for it.',
    }),
  }),
});

type MessageFilterInput = Readonly<{
  [K in keyof MessageFilterValue]?: Exclude<MessageFilterValue[K], undefined> | null;
}>;

const withoutNulls = <T extends object>(fields: T) =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== null && value !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], null>;
  };

/**
 * Drops absent and null fields, which the read model reads as "match everything". An empty
 * status list is dropped too, as documented on the input.
 */
export const toMessageFilter = (input: MessageFilterInput | null | undefined): MessageFilterValue => {
  const { status, ...rest } = input ?? {};
  return { ...withoutNulls(rest), ...(status && status.length > 0 ? { status } : {}) };
};
