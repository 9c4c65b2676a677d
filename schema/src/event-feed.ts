import type { MessageView } from '@elemta/projections';
import type { EventRecord } from './event-log.js';

/** Which events a feed delivers: all of these that are given must match. */
export type EventFeedFilter = Readonly<{
  /** Only these event types. */
  types?: readonly string[];
  /** Only streams whose name starts with this, e.g. `message-` or `session-`. */
  streamPrefix?: string;
  /** Only this stream, e.g. `message-<id>`. */
  stream?: string;
}>;

/**
 * Live events, implemented by apps/mta over the event store's subscription, one per client. Each stream ends when the
 * client goes away, and when its API key is revoked (checked periodically).
 */
export interface EventFeed {
  /**
   * Every event committed strictly after `after`, from the log first, then each as it is committed: in the log's one
   * global order, exactly once, none skipped, so a client that comes back with the last position it saw misses
   * nothing. Without `after` the feed starts at the views' position (events of the last moments may come first).
   * A position this log did not produce throws `DomainError('INVALID_CURSOR')`.
   */
  events(options: Readonly<{ after: string | null; filter: EventFeedFilter }>): Promise<AsyncIterable<EventRecord>>;
  /**
   * The message as the views show it now (when they know it), then again after each commit of events of its stream,
   * once the views include them. Consecutive identical views are sent once.
   */
  messageUpdates(messageId: string): Promise<AsyncIterable<MessageView>>;
  /** `metadata.actor` of the message's first event (MessageAccepted), read from the log; null when there is no such message. */
  submittedBy(messageId: string): Promise<string | null>;
}
