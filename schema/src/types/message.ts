import type { MessageView, RecipientView } from '@elemta/projections';
import { builder } from '../builder.js';
import { readingUserInput } from '../bad-user-input.js';
import { Event } from './message-event.js';
import { MessageFilter, toMessageFilter } from './message-filter.js';
import { MessageStatus, RecipientStatus } from './message-status.js';
import { connectionRef, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, toPageArgs } from './pagination.js';

export const Recipient = builder.objectRef<RecipientView>('Recipient').implement({
  description: 'One envelope recipient of a message and what has happened to it.',
  fields: (t) => ({
    address: t.exposeString('address', { description: 'The recipient address as given in RCPT TO.' }),
    domain: t.exposeString('domain', { description: 'The domain part of the address; delivery is routed by it.' }),
    status: t.expose('status', { type: RecipientStatus, description: 'Where delivery to this recipient stands.' }),
    route: t.exposeString('route', { nullable: true, description: 'The transport chosen by routing (e.g. relay, local, capture); null before routing.' }),
    zone: t.exposeString('zone', { nullable: true, description: 'The sending zone delivering to this recipient; null before routing.' }),
  }),
});

/** Roles that may read message bodies. */
const BODY_READERS: ReadonlySet<string> = new Set(['admin', 'auditor']);

export const Message = builder.objectRef<MessageView>('Message').implement({
  description: 'A message accepted by Elemta, as currently projected from its event stream.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The message id (a UUIDv7), also quoted in the 250 reply to DATA.' }),
    status: t.expose('status', { type: MessageStatus, description: "Where the message is in its lifecycle." }),
    mailFrom: t.exposeString('mailFrom', { description: 'The envelope sender (MAIL FROM); empty for bounces (null sender).' }),
    recipients: t.field({ type: [Recipient], description: 'The envelope recipients, each with its own status.', resolve: (m) => m.recipients }),
    subject: t.exposeString('subject', { nullable: true, description: 'The Subject header, if present.' }),
    fromHeader: t.exposeString('fromHeader', { nullable: true, description: 'The From header, if present.' }),
    messageIdHeader: t.exposeString('messageIdHeader', { nullable: true, description: 'The Message-ID header, if present.' }),
    size: t.exposeInt('sizeBytes', { description: 'Size of the message as received, in bytes.' }),
    bodySha256: t.exposeString('bodySha256', { description: 'SHA-256 of the stored message, hex-encoded; the key in the blob store.' }),
    receivedAt: t.field({ type: 'DateTime', description: 'When the message was accepted.', resolve: (m) => m.receivedAt }),
    updatedAt: t.field({ type: 'DateTime', description: 'When the message last changed.', resolve: (m) => m.updatedAt }),
    listener: t.exposeString('listener', { description: 'The name of the SMTP listener that accepted the message.' }),
    clientAddress: t.exposeString('clientAddress', { nullable: true, description: "The SMTP client's IP address, if received over the network." }),
    authUser: t.exposeString('authUser', { nullable: true, description: 'The SMTP AUTH user, if the client authenticated.' }),
    sessionId: t.exposeID('sessionId', { nullable: true, description: 'The SMTP session that submitted the message, if any.' }),
    captured: t.boolean({
      description: 'Whether any recipient was delivered through the `capture` route (development mode): nothing left this host, and the message can only be read here.',
      resolve: (m) => m.recipients.some((r) => r.status === 'delivered' && r.route === 'capture'),
    }),
    raw: t.string({
      nullable: true,
      description: 'The stored message exactly as received (RFC 5322, with the Received header Elemta added), for keys whose role may read bodies (admin, auditor); null for other roles or when the body is not stored. In capture mode this is how captured mail is read.',
      resolve: (m, _args, ctx) => (BODY_READERS.has(ctx.viewer.role) ? ctx.bodies.read(m.bodySha256) : null),
    }),
    events: t.field({
      type: [Event],
      description: "The message's events in stream order: its full, append-only history.",
      resolve: (m, _args, ctx) => ctx.readModels.messages.getMessageEvents(m.id),
    }),
  }),
});

export const MessageConnection = connectionRef('Message', Message, 'messages');

builder.queryField('message', (t) =>
  t.field({
    type: Message,
    nullable: true,
    description: 'One message by id; null if there is no such message.',
    args: { id: t.arg.id({ required: true, description: 'The message id.' }) },
    resolve: (_root, { id }, ctx) => ctx.readModels.messages.getMessage(String(id)),
  }),
);

builder.queryField('messages', (t) =>
  t.field({
    type: MessageConnection,
    description: 'Messages matching a filter, newest first (received time, then id). Cursors stay valid while new messages arrive.',
    args: {
      filter: t.arg({ type: MessageFilter, description: 'Which messages to list; all if omitted.' }),
      first: t.arg.int({ defaultValue: DEFAULT_PAGE_SIZE, description: `Page size, 1 to ${MAX_PAGE_SIZE}.` }),
      after: t.arg.string({ description: "Return the messages after this cursor (a previous page's `pageInfo.endCursor`)." }),
    },
    resolve: (_root, { filter, first, after }, ctx) => {
      const page = toPageArgs(first, after);
      return readingUserInput(() => ctx.readModels.messages.listMessages(toMessageFilter(filter), page));
    },
  }),
);
