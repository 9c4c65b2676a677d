import type { Context } from '../builder.js';
import type { EventRecord } from '../event-log.js';
import { fromTimeline, type EventDefinition } from './event.js';

// One read of a message's timeline per request and message object, however many of its fields ask (events,
// attempts, verdicts, recipients). Keyed by the object the read model returned, not by its id: a subscription keeps
// one context for all its updates, and each update brings a new message object, so it never sees an earlier
// update's timeline.
const timelines = new WeakMap<Context, WeakMap<object, Promise<readonly EventRecord[]>>>();

/** A message's events in stream order, from the timeline view; read once per request and message object. */
export const messageTimeline = (ctx: Context, message: Readonly<{ id: string }>): Promise<readonly EventRecord[]> => {
  let read = timelines.get(ctx);
  if (!read) timelines.set(ctx, (read = new WeakMap()));
  let timeline = read.get(message);
  if (!timeline) {
    timeline = ctx.readModels.messages.getMessageEvents(message.id).then((rows) => rows.map(fromTimeline));
    read.set(message, timeline);
  }
  return timeline;
};

/** The events of one type whose data has its current shape (others are skipped), with their data typed. */
export const eventsOf = <D extends EventDefinition>(events: readonly EventRecord[], definition: D): ReturnType<D>[] =>
  events.filter((e) => e.type === definition.type && e.schemaVersion === definition.schemaVersion) as unknown as ReturnType<D>[];
