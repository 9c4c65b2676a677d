import type { Context } from '../builder.js';
import type { EventRecord } from '../event-log.js';
import { fromTimeline, type EventDefinition } from './event.js';

// One read of a message's timeline per request, however many of its fields ask (events, attempts, verdicts, recipients).
const timelines = new WeakMap<Context, Map<string, Promise<readonly EventRecord[]>>>();

/** A message's events in stream order, from the timeline view; read once per request and message. */
export const messageTimeline = (ctx: Context, messageId: string): Promise<readonly EventRecord[]> => {
  let read = timelines.get(ctx);
  if (!read) timelines.set(ctx, (read = new Map()));
  let timeline = read.get(messageId);
  if (!timeline) {
    timeline = ctx.readModels.messages.getMessageEvents(messageId).then((rows) => rows.map(fromTimeline));
    read.set(messageId, timeline);
  }
  return timeline;
};

/** The events of one type whose data has its current shape (others are skipped), with their data typed. */
export const eventsOf = <D extends EventDefinition>(events: readonly EventRecord[], definition: D): ReturnType<D>[] =>
  events.filter((e) => e.type === definition.type && e.schemaVersion === definition.schemaVersion) as unknown as ReturnType<D>[];
