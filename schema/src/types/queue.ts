import type { Priority as PriorityValue, SmtpReply as SmtpReplyValue } from '@elemta/domain';
import type {
  Connection, QueueEntry as QueueEntryValue, QueueFilter as QueueFilterValue, QueuePage, QueueStatus as QueueStatusValue,
  QueueSummary as QueueSummaryValue,
} from '@elemta/projections';
import { builder } from '../builder.js';
import { readingUserInput } from '../bad-user-input.js';
import { enumValues } from '../enum-values.js';
import { connectionRef, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, toPageArgs } from './pagination.js';
import { READERS, requireRoleToRead } from './roles.js';

export const QueueStatus = builder.enumType('QueueStatus', {
  description: 'Where a pending recipient stands in the delivery queue.',
  values: enumValues<QueueStatusValue>({
    queued: 'Waiting for its first delivery attempt.',
    deferred: 'The last attempt failed temporarily; another attempt is scheduled.',
    held: 'Held by an operator or a policy; not delivered until released.',
    delivering: 'A delivery worker holds a lease on the message and is attempting delivery.',
  }),
});

export const Priority = builder.enumType('Priority', {
  description: 'Delivery priority; higher priorities are claimed first when several messages are due.',
  values: enumValues<PriorityValue>({
    low: 'Bulk mail: delivered after everything else that is due.',
    normal: 'The default.',
    high: 'Delivered before normal and low priority mail.',
    critical: 'Delivered before anything else that is due.',
  }),
});

export const SmtpReply = builder.objectRef<SmtpReplyValue>('SmtpReply').implement({
  description: 'An SMTP reply as received (or produced by a local transport).',
  fields: (t) => ({
    code: t.exposeInt('code', { description: 'The three-digit reply code, e.g. 250 or 451.' }),
    enhancedCode: t.exposeString('enhancedCode', { nullable: true, description: 'The RFC 3463 enhanced status code, e.g. `4.7.1`, if given.' }),
    text: t.exposeString('text', { description: 'The reply text.' }),
    command: t.exposeString('command', { description: 'The SMTP command the reply answered (e.g. `RCPT`, `DATA`; `CAPTURE` in capture mode).' }),
  }),
});

export const QueueEntry = builder.objectRef<QueueEntryValue>('QueueEntry').implement({
  description: 'One recipient of a message still waiting to be delivered.',
  fields: (t) => ({
    messageId: t.exposeID('messageId', { description: 'The message this recipient belongs to.' }),
    recipient: t.exposeString('recipient', { description: 'The recipient address (RCPT TO).' }),
    domain: t.exposeString('domain', { description: 'The domain part of the recipient, lower case; delivery is routed by it.' }),
    route: t.exposeString('route', { description: 'The transport chosen by routing (e.g. relay, capture).' }),
    zone: t.exposeString('zone', { description: 'The sending zone delivering to this recipient.' }),
    priority: t.expose('priority', { type: Priority, description: 'The delivery priority.' }),
    status: t.expose('status', { type: QueueStatus, description: 'Where this recipient stands in the queue.' }),
    mailFrom: t.exposeString('mailFrom', { description: 'The envelope sender (MAIL FROM); empty for bounces.' }),
    acceptedAt: t.field({ type: 'DateTime', description: 'When the message was accepted.', resolve: (e) => e.acceptedAt }),
    nextAttemptAt: t.field({ type: 'DateTime', description: 'When the next delivery attempt is due.', resolve: (e) => e.nextAttemptAt }),
    attempts: t.exposeInt('attempts', { description: 'How many delivery attempts were made so far.' }),
    lastAttemptAt: t.field({
      type: 'DateTime', nullable: true, description: 'When the last attempt was made; null before the first.', resolve: (e) => e.lastAttemptAt,
    }),
    lastReply: t.field({
      type: SmtpReply, nullable: true, description: 'The reply to the last attempt; null before the first.', resolve: (e) => e.lastReply,
    }),
  }),
});

export const QueueEntryConnection = connectionRef('QueueEntry', QueueEntry, 'queue entries');

export const QueueFilter = builder.inputType('QueueFilter', {
  description: 'Narrows the queue listing. Every field given must match (AND); omitted or null fields match everything.',
  fields: (t) => ({
    status: t.field({ type: [QueueStatus], description: 'Any of these statuses. An empty list is the same as omitting the field.' }),
    zone: t.string({ description: 'The sending zone, exact.' }),
    domain: t.string({ description: 'The recipient domain, case-insensitive.' }),
    sender: t.string({ description: 'The envelope sender, exact and case-insensitive; an empty string finds bounces.' }),
    route: t.string({ description: 'The route, exact (e.g. relay, capture).' }),
    messageId: t.id({ description: 'One message.' }),
  }),
});

type QueueFilterInput = Readonly<{
  [K in keyof QueueFilterValue]?: Exclude<QueueFilterValue[K], undefined> | null;
}> & { messageId?: string | number | null };

/** Drops absent and null fields (and an empty status list), which the read model reads as "match everything". */
export const toQueueFilter = (input: QueueFilterInput | null | undefined): QueueFilterValue => {
  const { status, messageId, ...rest } = input ?? {};
  const given = Object.entries(rest).filter(([, value]) => value !== null && value !== undefined);
  return {
    ...(Object.fromEntries(given) as Omit<QueueFilterValue, 'status' | 'messageId'>),
    ...(status && status.length > 0 ? { status } : {}),
    ...(messageId !== null && messageId !== undefined ? { messageId: String(messageId) } : {}),
  };
};

/** A queue page as a Relay connection, each edge with the read model's cursor of its row. */
export const toQueueConnection = (page: QueuePage, after: string | null | undefined): Connection<QueueEntryValue> => {
  const edges = page.rows.map((node) => ({ node, cursor: node.cursor }));
  return {
    edges,
    pageInfo: { hasNextPage: page.hasNextPage, hasPreviousPage: Boolean(after), startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount: page.totalCount,
  };
};

builder.queryField('queue', (t) =>
  t.field({
    type: QueueEntryConnection,
    description: 'Pending recipients, oldest first (accepted time, message id, recipient). Cursors stay valid while rows come and go. '
      + 'Not for integrator keys (FORBIDDEN).',
    args: {
      filter: t.arg({ type: QueueFilter, description: 'Which entries to list; all if omitted.' }),
      first: t.arg.int({ defaultValue: DEFAULT_PAGE_SIZE, description: `Page size, 1 to ${MAX_PAGE_SIZE}.` }),
      after: t.arg.string({ description: "Return the entries after this cursor (a previous page's `pageInfo.endCursor`)." }),
    },
    resolve: async (_root, { filter, first, after }, ctx) => {
      requireRoleToRead(ctx.viewer, READERS, 'read the queue (it holds messages of other keys)');
      const page = toPageArgs(first, after);
      const listed = await readingUserInput(() => ctx.readModels.queue.list({ filter: toQueueFilter(filter), ...page }));
      return toQueueConnection(listed, page.after);
    },
  }),
);

type Counted = Readonly<{ count: number }>;
const countField = { description: 'How many pending recipients.' };

const StatusCount = builder.objectRef<Counted & { status: QueueStatusValue }>('QueueStatusCount').implement({
  description: 'How many pending recipients have one status.',
  fields: (t) => ({
    status: t.expose('status', { type: QueueStatus, description: 'The status.' }),
    count: t.exposeInt('count', countField),
  }),
});

const ZoneCount = builder.objectRef<Counted & { zone: string; oldestAcceptedAt: string }>('QueueZoneCount').implement({
  description: 'How many pending recipients one sending zone has.',
  fields: (t) => ({
    zone: t.exposeString('zone', { description: 'The sending zone.' }),
    count: t.exposeInt('count', countField),
    oldestAcceptedAt: t.field({ type: 'DateTime', description: "When the zone's oldest pending message was accepted.", resolve: (z) => z.oldestAcceptedAt }),
  }),
});

const DomainCount = builder.objectRef<Counted & { domain: string }>('QueueDomainCount').implement({
  description: 'How many pending recipients one recipient domain has.',
  fields: (t) => ({ domain: t.exposeString('domain', { description: 'The recipient domain.' }), count: t.exposeInt('count', countField) }),
});

export const QueueSummary = builder.objectRef<QueueSummaryValue>('QueueSummary').implement({
  description: 'The size and age of the delivery queue, counted over pending recipients.',
  fields: (t) => ({
    total: t.exposeInt('total', { description: 'How many recipients are pending.' }),
    byStatus: t.field({ type: [StatusCount], description: 'Counts per status, largest first.', resolve: (s) => s.byStatus }),
    byZone: t.field({ type: [ZoneCount], description: 'Counts per sending zone, largest first.', resolve: (s) => s.byZone }),
    byDomain: t.field({ type: [DomainCount], description: 'The 20 recipient domains with the most pending recipients.', resolve: (s) => s.byDomain }),
    oldestAcceptedAt: t.field({
      type: 'DateTime', nullable: true, description: 'When the oldest pending message was accepted; null when the queue is empty.',
      resolve: (s) => s.oldestAcceptedAt,
    }),
    oldestAgeSeconds: t.int({
      nullable: true, description: 'How long the oldest pending message has waited, in whole seconds; null when the queue is empty.',
      resolve: (s) => (s.oldestAcceptedAt ? Math.max(0, Math.floor((Date.now() - Date.parse(s.oldestAcceptedAt)) / 1000)) : null),
    }),
  }),
});

builder.queryField('queueSummary', (t) =>
  t.field({
    type: QueueSummary,
    description: 'Counts and age of the whole queue. Not for integrator keys (FORBIDDEN).',
    resolve: (_root, _args, ctx) => {
      requireRoleToRead(ctx.viewer, READERS, 'read the queue (it holds messages of other keys)');
      return ctx.readModels.queue.summary();
    },
  }),
);
