import {
  asGlobalPosition, asMessageId, DomainError, messageStream,
  type EventStore, type GlobalPosition, type RecordedEvent, type Subscription,
} from '@elemta/domain';
import type { MessageReadModel, MessageView } from '@elemta/projections';
import type { EventFeed, EventFeedFilter, EventRecord } from '@elemta/schema';
import { AsyncQueue } from './async-queue.js';
import { toEventRecord } from './event-log.js';

type Log = { info: (obj: object, msg: string) => void; warn: (obj: object, msg: string) => void };

export type EventFeedDeps = Readonly<{
  store: EventStore;
  messages: MessageReadModel;
  /** Where a feed without `after` starts: the views' checkpoint (positions are opaque, so "the end of the log" is not at hand). */
  startPosition: () => Promise<GlobalPosition | null>;
  /** Resolves once the views include every event committed before the call. */
  viewsCaughtUp: () => Promise<void>;
  log: Log;
  /** How often a stream checks that its API key is still valid (30 s). */
  recheckMs?: number;
}>;

/** What ties the feeds of one GraphQL request to it: its end (the client went away), and its API key. */
export type FeedScope = Readonly<{ signal: AbortSignal; stillAuthenticated: () => Promise<boolean> }>;

const DEFAULT_RECHECK_MS = 30_000;

const matches = (filter: EventFeedFilter, e: RecordedEvent): boolean =>
  (!filter.types || filter.types.includes(e.type))
  && (!filter.stream || e.metadata.stream === filter.stream)
  && (!filter.streamPrefix || e.metadata.stream.startsWith(filter.streamPrefix));

/**
 * The `EventFeed` of the schema over `EventStore.subscribeToAll`: one store subscription per GraphQL subscription, so
 * each stream gets the store's guarantees (every committed event once, in global order, across out-of-order commits).
 * A stream ends, and its store subscription stops, when the client disconnects (`scope.signal`), when the consumer
 * returns, or when its API key no longer verifies (checked every `recheckMs`). A failing store subscription fails
 * the stream; the client reconnects with its last position.
 */
export const createEventFeed = (deps: EventFeedDeps) => (scope: FeedScope): EventFeed => {
  const recheckMs = deps.recheckMs ?? DEFAULT_RECHECK_MS;

  const open = <T>(
    after: GlobalPosition | null, types: readonly string[] | undefined, handle: (batch: RecordedEvent[], queue: AsyncQueue<T>) => Promise<void>,
  ): AsyncQueue<T> => {
    let subscription: Subscription | null = null;
    let timer: NodeJS.Timeout | null = null;
    const onAbort = () => void queue.return();
    const queue = new AsyncQueue<T>(() => {
      if (timer) clearInterval(timer);
      scope.signal.removeEventListener('abort', onAbort);
      void subscription?.stop(); // not awaited: it waits for the handler, which may be waiting for room
    });
    if (scope.signal.aborted) {
      void queue.return();
      return queue;
    }
    scope.signal.addEventListener('abort', onAbort, { once: true });
    subscription = deps.store.subscribeToAll({ after, ...(types ? { types } : {}) }, async (batch) => {
      if (queue.finished) return;
      await handle(batch, queue);
      await queue.room();
    });
    subscription.done.then(() => queue.end(), (err: unknown) => {
      deps.log.warn({ err }, 'event subscription failed; ending the stream');
      queue.fail(err);
    });
    timer = setInterval(() => {
      scope.stillAuthenticated().then((ok) => {
        if (ok || queue.finished) return;
        deps.log.info({}, 'API key no longer valid: ending its subscription');
        void queue.return();
      }, () => {}); // the key store did not answer: the key stays as good as it was
    }, recheckMs);
    timer.unref();
    return queue;
  };

  /** Refuses a position the store cannot read from (positions are opaque: only the store can tell). */
  const checked = async (after: string): Promise<GlobalPosition> => {
    const position = asGlobalPosition(after);
    try {
      await deps.store.readAll({ after: position, limit: 1 });
    } catch (err) {
      if (err instanceof RangeError) throw new DomainError('INVALID_CURSOR', `not a position of this event log: ${JSON.stringify(after)}`);
      throw err;
    }
    return position;
  };

  return {
    events: async ({ after, filter }) => {
      const start = after === null ? await deps.startPosition() : await checked(after);
      return open<EventRecord>(start, filter.types, async (batch, queue) => {
        for (const e of batch) if (matches(filter, e)) queue.push(toEventRecord(e));
      });
    },

    messageUpdates: async (messageId) => {
      const stream = messageStream(asMessageId(messageId));
      const start = await deps.startPosition();
      let last: string | null = null;
      let reads = Promise.resolve();
      // One read at a time, in call order, so an older view is never sent after a newer one.
      const emit = (queue: AsyncQueue<MessageView>) => (reads = reads.then(async () => {
        const view = await deps.messages.getMessage(messageId);
        const key = JSON.stringify(view);
        if (view === null || key === last) return;
        last = key;
        queue.push(view);
      }));
      // The views include everything up to `start`: the view read now, then one after each later commit to the stream.
      const queue = open<MessageView>(start, undefined, async (batch, q) => {
        if (!batch.some((e) => e.metadata.stream === stream)) return;
        await deps.viewsCaughtUp();
        await emit(q);
      });
      try {
        await emit(queue);
      } catch (err) {
        await queue.return();
        throw err;
      }
      return queue;
    },

    submittedBy: async (messageId) => {
      const { events } = await deps.store.readStream(messageStream(asMessageId(messageId)));
      return events[0]?.metadata.actor ?? null;
    },
  };
};

/**
 * Shares runs of `run` between callers: a call while a run is in progress gets the next run, which starts after it,
 * so what each caller waits for began after its call (and callers arriving together share one run).
 */
export const sharedRuns = (run: () => Promise<void>): (() => Promise<void>) => {
  let current: Promise<void> | null = null;
  let next: Promise<void> | null = null;
  const start = (): Promise<void> => {
    const started = run().finally(() => {
      if (current === started) current = null;
    });
    current = started;
    return started;
  };
  return () => {
    if (next) return next;
    if (!current) return start();
    const queued = current.catch(() => {}).then(() => {
      next = null;
      return start();
    });
    next = queued;
    return queued;
  };
};
