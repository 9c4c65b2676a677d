import { DomainError, parseStreamName } from '@elemta/domain';
import { builder, type Context } from '../builder.js';
import { badUserInput, readingUserInput } from '../bad-user-input.js';
import type { EventRecord } from '../event-log.js';
import { Event } from './event.js';
import { assertMayReadLog, assertMayReadStream } from './event-access.js';
import { DEFAULT_PAGE_SIZE, PageInfo, toPageArgs } from './pagination.js';
import { ForbiddenError } from './queue-actions.js';

export const MAX_EVENTS_PAGE_SIZE = 500;
const MAX_TYPES = 100;

type EventEdgeValue = Readonly<{ cursor: string; node: EventRecord }>;
type EventPage = Readonly<{
  edges: readonly EventEdgeValue[];
  pageInfo: Readonly<{ hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null }>;
}>;

/** What `events` reads, checked: `after` is the exclusive start (the `after` cursor, else `fromPosition`). */
export type EventsQuery = Readonly<{ stream: string | null; after: string | null; types: readonly string[] | null; first: number }>;

const EventEdge = builder.objectRef<EventEdgeValue>('EventEdge').implement({
  description: 'One event in a page of events, with its cursor.',
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: "The event's position; pass it as `after` to continue from here." }),
    node: t.field({ type: Event, description: 'The event.', resolve: (edge) => edge.node }),
  }),
});

// No totalCount: counting the whole log would cost a full scan, and the log only grows.
const EventConnection = builder.objectRef<EventPage>('EventConnection').implement({
  description: 'A page of events, in log order (or stream order for one stream). There is no total: the log only grows.',
  fields: (t) => ({
    edges: t.field({ type: [EventEdge], description: 'The events on this page, in order.', resolve: (c) => c.edges }),
    pageInfo: t.field({ type: PageInfo, description: 'How to fetch the next page.', resolve: (c) => c.pageInfo }),
  }),
});

type EventsArgs = Readonly<{
  stream?: string | null; fromPosition?: string | null; types?: readonly string[] | null; first?: number | null; after?: string | null;
}>;

/** Checks the arguments of `events`; throws BAD_USER_INPUT. */
export const toEventsQuery = (args: EventsArgs): EventsQuery => {
  const fromPosition = toPageArgs(1, args.fromPosition).after ?? null; // the same opaque-cursor checks as `after`
  const page = toPageArgs(args.first, args.after, MAX_EVENTS_PAGE_SIZE);
  let stream: string | null = null;
  if (args.stream !== null && args.stream !== undefined) {
    try {
      stream = parseStreamName(args.stream);
    } catch {
      throw badUserInput(`stream is not a stream name (<category>-<id>): ${JSON.stringify(args.stream.slice(0, 200))}`, 'INVALID_STREAM');
    }
  }
  const types = args.types && args.types.length > 0 ? [...new Set(args.types)] : null;
  if (types && (types.length > MAX_TYPES || types.some((type) => !/^[A-Za-z][A-Za-z0-9]{0,99}$/.test(type)))) {
    throw badUserInput(`types must be at most ${MAX_TYPES} event type names such as MessageAccepted`, 'INVALID_TYPES');
  }
  return { stream, after: page.after ?? fromPosition, types, first: page.first };
};

const toPage = (events: readonly EventRecord[], query: EventsQuery): EventPage => {
  const edges = events.slice(0, query.first).map((node) => ({ cursor: node.position, node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: events.length > query.first,
      hasPreviousPage: query.after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
};

/** One stream, strictly after the event at `after` (which must be one of the stream's). */
const streamPage = (events: readonly EventRecord[], query: EventsQuery): EventPage => {
  const start = query.after === null ? 0 : events.findIndex((e) => e.position === query.after) + 1;
  if (start === 0 && query.after !== null) throw new DomainError('INVALID_CURSOR', 'after/fromPosition is not the position of an event of this stream');
  const rest = events.slice(start);
  return toPage(query.types ? rest.filter((e) => query.types!.includes(e.type)) : rest, query);
};

/** A page of `events`; throws `ForbiddenError` when the viewer may not read what was asked. */
export const readEvents = async (ctx: Context, query: EventsQuery): Promise<EventPage> => {
  if (query.stream !== null) {
    const events = await ctx.eventLog.readStream(query.stream);
    assertMayReadStream(ctx.viewer, events);
    return streamPage(events, query);
  }
  assertMayReadLog(ctx.viewer, 'the whole event log; ask for the stream of a message instead');
  const events = await ctx.eventLog.readAll({ after: query.after, limit: query.first + 1, ...(query.types ? { types: query.types } : {}) });
  return toPage(events, query);
};

builder.queryField('events', (t) =>
  t.field({
    type: EventConnection,
    errors: { types: [ForbiddenError], union: { description: 'The result of `events`: a page of events, or why the caller may not read them.' } },
    description:
      'The event log itself: all streams in global commit order, or one stream in stream order. Admins, auditors and operators read everything; '
      + 'an integrator only the stream of a message it submitted. Paging never skips or repeats an event, even while events are appended.',
    args: {
      stream: t.arg.string({ description: 'Only this stream, e.g. `message-<id>` or `session-<id>`, in stream order.' }),
      fromPosition: t.arg.string({ description: 'Start after this position (exclusive), e.g. a checkpoint kept by the client. `after` wins when both are given.' }),
      types: t.arg.stringList({ description: 'Only events of these types (e.g. `MessageAccepted`). An empty list is the same as omitting it.' }),
      first: t.arg.int({ defaultValue: DEFAULT_PAGE_SIZE, description: `Page size, 1 to ${MAX_EVENTS_PAGE_SIZE}.` }),
      after: t.arg.string({ description: "Return the events after this cursor (a previous page's `pageInfo.endCursor`, i.e. a position)." }),
    },
    resolve: (_root, args, ctx) => readingUserInput(() => readEvents(ctx, toEventsQuery(args))),
  }),
);
