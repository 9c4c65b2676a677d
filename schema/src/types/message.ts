import type { Connection, MessageView, RecipientView } from '@elemta/projections';
import { builder } from '../builder.js';
import { readingUserInput } from '../bad-user-input.js';
import { Event } from './event.js';
import { messageTimeline } from './message-timeline.js';
import { MessageFilter, toMessageFilter } from './message-filter.js';
import { MessageStatus, RecipientStatus } from './message-status.js';
import { connectionRef, MAX_PAGE_SIZE, toRelayPageArgs } from './pagination.js';
import { maySeeMessage, scopeMessageFilter } from './roles.js';

/** `message` lets the recipient's delivery details (types/message-details.ts) find its message's timeline. */
export const Recipient = builder.objectRef<RecipientView & Readonly<{ message: MessageView }>>('Recipient').implement({
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
    recipients: t.field({ type: [Recipient], description: 'The envelope recipients, each with its own status.', resolve: (m) => m.recipients.map((r) => ({ ...r, message: m })) }),
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
    submittedBy: t.exposeString('submittedBy', {
      nullable: true,
      description: 'Who submitted the message (the actor of `MessageAccepted`): `api-key:<id>` for mail sent through the API, `smtp:<ip>` for mail received over SMTP.',
    }),
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
      resolve: (m, _args, ctx) => messageTimeline(ctx, m),
    }),
  }),
});

export const MessageConnection = connectionRef('Message', Message, 'messages');

builder.queryField('message', (t) =>
  t.field({
    type: Message,
    nullable: true,
    description: 'One message by id; null if there is no such message, or (for an integrator key) if another key submitted it.',
    args: { id: t.arg.id({ required: true, description: 'The message id.' }) },
    resolve: async (_root, { id }, ctx) => {
      const message = await ctx.readModels.messages.getMessage(String(id));
      return message && maySeeMessage(ctx.viewer, message) ? message : null;
    },
  }),
);

const NOTHING: Connection<MessageView> = {
  edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null }, totalCount: 0,
};

export const MessageOrder = builder.enumType('MessageOrder', {
  description: 'The order of a message list. Messages received at the same instant are ordered by id.',
  values: {
    RECEIVED_DESC: { value: 'received_desc', description: 'Newest first.' },
    RECEIVED_ASC: { value: 'received_asc', description: 'Oldest first.' },
  } as const,
});

builder.queryField('messages', (t) =>
  t.field({
    type: MessageConnection,
    description: 'Messages matching a filter, newest first unless `orderBy` says otherwise (received time, then id). Relay cursor '
      + 'pagination, forwards with `first`/`after` or backwards with `last`/`before`; cursors stay valid while new messages arrive, '
      + 'so paging neither repeats nor skips a message. An integrator key lists only the messages it submitted.',
    args: {
      filter: t.arg({ type: MessageFilter, description: 'Which messages to list; all if omitted.' }),
      orderBy: t.arg({ type: MessageOrder, defaultValue: 'received_desc', description: 'The order of the list.' }),
      first: t.arg.int({ description: `Page size when paging forwards, 1 to ${MAX_PAGE_SIZE}; 25 when neither \`first\` nor \`last\` is given.` }),
      after: t.arg.string({ description: "Return the messages after this cursor (a previous page's `pageInfo.endCursor`)." }),
      last: t.arg.int({ description: `Page size when paging backwards, 1 to ${MAX_PAGE_SIZE}: the last messages before \`before\` (or of the list).` }),
      before: t.arg.string({ description: "Return the messages before this cursor (a later page's `pageInfo.startCursor`)." }),
    },
    resolve: (_root, { filter, orderBy, ...page }, ctx) => {
      const pageArgs = { ...toRelayPageArgs(page), order: orderBy ?? 'received_desc' };
      const scoped = scopeMessageFilter(ctx.viewer, toMessageFilter(filter));
      return scoped ? readingUserInput(() => ctx.readModels.messages.listMessages(scoped, pageArgs)) : NOTHING;
    },
  }),
);
