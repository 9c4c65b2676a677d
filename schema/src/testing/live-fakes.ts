import type { MessageView } from '@elemta/projections';
import type { EventRecord } from '../event-log.js';
import type { EventFeed, EventFeedFilter } from '../event-feed.js';
import type { MessageSubmissions, SubmissionInput, SubmissionResult } from '../submissions.js';

/** Records each submission and answers with a fixed result (accepted by default). */
export class RecordingSubmissions implements MessageSubmissions {
  readonly calls: SubmissionInput[] = [];

  constructor(private readonly result: SubmissionResult = {
    kind: 'accepted', messageId: '0190f3c2-0000-7000-8000-0000000000aa', mailFrom: 'app@example.org', rcptTo: ['bob@example.net'],
  }) {}

  async send(input: SubmissionInput): Promise<SubmissionResult> {
    this.calls.push(input);
    return this.result;
  }
}

const fromArray = <T>(items: readonly T[]): AsyncIterable<T> => ({
  async *[Symbol.asyncIterator]() {
    yield* items;
  },
});

/** A feed over fixed events and message views; streams end after them. `senders` maps message ids to their actor. */
export class StaticEventFeed implements EventFeed {
  readonly calls: { after: string | null; filter: EventFeedFilter }[] = [];

  constructor(
    private readonly recorded: readonly EventRecord[] = [],
    private readonly views: readonly MessageView[] = [],
    private readonly senders: Readonly<Record<string, string>> = {},
  ) {}

  async events(options: { after: string | null; filter: EventFeedFilter }): Promise<AsyncIterable<EventRecord>> {
    this.calls.push(options);
    const { filter } = options;
    return fromArray(this.recorded.filter((e) =>
      (!filter.types || filter.types.includes(e.type)) && (!filter.stream || e.stream === filter.stream)
      && (!filter.streamPrefix || e.stream.startsWith(filter.streamPrefix))));
  }

  async messageUpdates(messageId: string): Promise<AsyncIterable<MessageView>> {
    return fromArray(this.views.filter((m) => m.id === messageId));
  }

  async submittedBy(messageId: string): Promise<string | null> {
    return this.senders[messageId] ?? null;
  }
}
