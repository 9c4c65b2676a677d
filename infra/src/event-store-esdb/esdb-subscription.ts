import {
  eventTypeFilter, excludeSystemEvents,
  type AllStreamResolvedEvent, type AllStreamSubscription, type EventStoreDBClient, type ReadPosition,
} from '@eventstore/db-client';
import { EventStoreUnavailable, type RecordedEvent, type SubscribeOptions, type Subscription } from '@elemta/domain';
import { upcastRecorded } from '../event-store/prepare-append.js';
import { atOrBefore, decodeEsdbPosition, eventTypesRegex, toRecordedEvent } from './esdb-translation.js';
import { withTimeout } from './with-timeout.js';

const HIGH_WATER = 1000;

/**
 * A catch-up subscription on $all, filtered on the server (event types, or everything but system events), handed to
 * the handler in awaited batches. The server pushes; the gRPC stream is paused while the buffer is full. It fails
 * (`done` rejects) when the handler throws, the stream errors or ends, or the server does not confirm in time.
 */
export class EsdbSubscription implements Subscription {
  readonly done: Promise<void>;
  readonly #stream: AllStreamSubscription;
  readonly #from: ReadPosition;
  readonly #buffer: RecordedEvent[] = [];
  #failure: unknown = null;
  #ended = false;
  #stopped = false;
  #poke: (() => void) | null = null;
  #stopNow: () => void = () => {};

  constructor(
    client: EventStoreDBClient,
    timeoutMs: number,
    options: SubscribeOptions,
    handler: (events: RecordedEvent[]) => Promise<void>,
    onEnd: () => void,
  ) {
    this.#from = decodeEsdbPosition(options.after);
    const filter = options.types ? eventTypeFilter({ regex: eventTypesRegex(options.types) }) : excludeSystemEvents();
    this.#stream = client.subscribeToAll({ fromPosition: this.#from, filter });
    // The server confirms a subscription first; a silent port never does, and must not leave us waiting forever.
    const confirmed = new Promise<void>((resolve) => {
      for (const event of ['confirmation', 'data', 'error', 'end']) this.#stream.once(event, () => resolve());
    });
    const stopping = new Promise<void>((resolve) => {
      this.#stopNow = resolve;
    });
    this.#stream.on('data', (resolved: AllStreamResolvedEvent) => this.#onData(resolved));
    this.#stream.on('error', (err) => this.#signal(() => { this.#failure ??= err; }));
    this.#stream.on('end', () => this.#signal(() => { this.#ended = true; }));
    this.done = withTimeout('subscribeToAll', timeoutMs, Promise.race([confirmed, stopping]))
      .then(() => this.#loop(options.batchSize ?? 500, handler))
      .finally(async () => {
        await withTimeout('unsubscribe', timeoutMs, this.#stream.unsubscribe()).catch(() => {});
        onEnd();
      });
    this.done.catch(() => {}); // observed through `done`; never an unhandled rejection
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopNow();
    this.#poke?.();
    await this.done.catch(() => {});
  }

  #onData(resolved: AllStreamResolvedEvent): void {
    if (atOrBefore(resolved.event?.position, this.#from)) return; // strictly after the checkpoint
    const event = toRecordedEvent(resolved);
    if (!event) return;
    this.#buffer.push(event);
    if (this.#buffer.length >= HIGH_WATER) this.#stream.pause();
    this.#poke?.();
  }

  #signal(change: () => void): void {
    change();
    this.#poke?.();
  }

  #waitForWork(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.#stopped || this.#failure || this.#ended || this.#buffer.length > 0) return resolve();
      this.#poke = () => {
        this.#poke = null;
        resolve();
      };
    });
  }

  async #loop(batchSize: number, handler: (events: RecordedEvent[]) => Promise<void>): Promise<void> {
    while (!this.#stopped) {
      if (this.#failure) throw new EventStoreUnavailable('EventStoreDB subscription failed', { cause: this.#failure });
      if (this.#buffer.length === 0) {
        if (this.#ended) throw new EventStoreUnavailable('EventStoreDB subscription ended');
        await this.#waitForWork();
        continue;
      }
      const batch = this.#buffer.splice(0, batchSize);
      if (this.#stream.isPaused() && this.#buffer.length < HIGH_WATER / 2) this.#stream.resume();
      await handler(batch.map(upcastRecorded));
    }
  }
}
