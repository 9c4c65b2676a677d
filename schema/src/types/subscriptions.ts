import { asMessageId, DomainError, isUuid, messageStream } from '@elemta/domain';
import { builder } from '../builder.js';
import type { Context } from '../builder.js';
import type { EventFeedFilter } from '../event-feed.js';
import { Event } from './event.js';
import { Message } from './message.js';
import { ForbiddenError, InvalidInputError } from './queue-actions.js';
import { READERS } from './roles.js';

builder.subscriptionType({
  description: 'Live updates, over Server-Sent Events (`Accept: text/event-stream`). Each event carries its log `position`: to resume after a disconnection, subscribe again with `after` set to the last position received, and nothing is missed or repeated.',
});

const EventAppendedFilter = builder.inputType('EventAppendedFilter', {
  description: 'Which events to receive: all given fields must match. Integrator keys must give `messageId`, of a message they sent.',
  fields: (t) => ({
    types: t.stringList({ description: 'Only these event types, e.g. `["MessageAccepted", "RecipientDelivered"]`. An empty list is the same as omitting it.' }),
    streamPrefix: t.string({ description: 'Only streams whose name starts with this, e.g. `message-` or `session-`.' }),
    messageId: t.id({ description: "Only this message's events (its stream `message-<id>`)." }),
  }),
});

type FilterArg = Readonly<{ types?: readonly string[] | null; streamPrefix?: string | null; messageId?: string | number | null }>;

const checkedMessageId = (id: string | number, field: string): string => {
  const value = String(id).trim().toLowerCase();
  if (!isUuid(value)) throw new InvalidInputError('INVALID_MESSAGE_ID', `not a message id: ${JSON.stringify(String(id))}`, field);
  return value;
};

/** Integrators may follow only the messages they sent themselves (MessageAccepted recorded with their key as actor). */
const mayFollow = (ctx: Context, submittedBy: string | null): boolean =>
  READERS.includes(ctx.viewer.role) || (submittedBy !== null && submittedBy === `api-key:${ctx.viewer.id}`);

const toFeedFilter = (filter: FilterArg | null | undefined): { feed: EventFeedFilter; messageId: string | null } => {
  const messageId = filter?.messageId !== null && filter?.messageId !== undefined ? checkedMessageId(filter.messageId, 'filter.messageId') : null;
  const feed: EventFeedFilter = {
    ...(filter?.types?.length ? { types: filter.types } : {}),
    ...(filter?.streamPrefix ? { streamPrefix: filter.streamPrefix } : {}),
    ...(messageId ? { stream: messageStream(asMessageId(messageId)) } : {}),
  };
  return { feed, messageId };
};

builder.subscriptionField('eventAppended', (t) =>
  t.field({
    type: Event,
    description: 'Each event as it is committed, in log order. With `after`, first every matching event committed after that position (none missed, none repeated), then live ones. Integrator keys: only with `filter.messageId` of a message they sent.',
    errors: {
      types: [ForbiddenError, InvalidInputError],
      // an interface cannot be a member of a union: each event comes wrapped, as `EventAppendedSuccess.event`
      directResult: false,
      dataField: { name: 'event', description: 'The event, as its typed object (e.g. `MessageAcceptedEvent`).' },
      result: { description: 'One event of the subscription.' },
      union: { description: 'An event, or why the subscription was refused (then it ends).' },
    },
    args: {
      filter: t.arg({ type: EventAppendedFilter, description: 'Which events; all if omitted (not for integrators).' }),
      after: t.arg.string({ description: 'Resume strictly after this position (the last `position` received). Omitted: from now.' }),
    },
    subscribe: async (_root, { filter, after }, ctx) => {
      const { feed, messageId } = toFeedFilter(filter);
      const sender = messageId !== null && !READERS.includes(ctx.viewer.role) ? await ctx.events.submittedBy(messageId) : null;
      if (!mayFollow(ctx, sender)) throw new ForbiddenError('integrator keys may follow only the events of messages they sent (filter.messageId)');
      return ctx.events.events({ after: after ?? null, filter: feed });
    },
    resolve: (event) => event,
  }),
);

builder.subscriptionField('messageUpdated', (t) =>
  t.field({
    type: Message,
    description: 'The message as it is now, then again each time events of it are committed (read once the views include them), e.g. as its recipients are delivered. Integrator keys: only messages they sent.',
    errors: { types: [ForbiddenError, InvalidInputError], union: { description: 'The message, or why the subscription was refused (then it ends).' } },
    args: { id: t.arg.id({ required: true, description: 'The message id.' }) },
    subscribe: async (_root, { id }, ctx) => {
      const messageId = checkedMessageId(id, 'id');
      const sender = await ctx.events.submittedBy(messageId);
      if (!mayFollow(ctx, sender)) throw new ForbiddenError('integrator keys may follow only messages they sent');
      if (sender === null) throw new DomainError('MESSAGE_NOT_FOUND', `no message ${messageId}`);
      return ctx.events.messageUpdates(messageId);
    },
    resolve: (message) => message,
  }),
);
