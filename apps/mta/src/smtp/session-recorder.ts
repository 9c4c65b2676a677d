import {
  sessionStream, WrongExpectedVersionError,
  type AnyDomainEvent, type EventMetadata, type EventStore, type SessionId, type StreamName,
} from '@elemta/domain';

type Log = { error: (obj: object, msg: string) => void };

/**
 * Appends the events of one SMTP session to `session-<id>` in the order they happened, without holding up the
 * conversation: session events are records, not acknowledgements (a message's 250 waits for its own append).
 * Appends are chained so versions stay sequential; a failure is logged and the chain goes on.
 */
export class SessionRecorder {
  readonly stream: StreamName;
  private version = 0;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: EventStore,
    readonly sessionId: SessionId,
    private readonly metadata: EventMetadata,
    private readonly log: Log,
  ) {
    this.stream = sessionStream(sessionId);
  }

  record(event: AnyDomainEvent): void {
    this.chain = this.chain.then(() => this.append(event));
  }

  /** Resolves when everything recorded so far is appended (or has failed and been logged). */
  flush(): Promise<void> {
    return this.chain;
  }

  private async append(event: AnyDomainEvent): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const result = await this.store.appendToStream(this.stream, [event], { expectedVersion: this.version, metadata: this.metadata });
        this.version = result.version;
        return;
      } catch (err) {
        // An append whose reply was lost may have committed: resynchronise the version once and try again.
        if (err instanceof WrongExpectedVersionError && attempt === 0) {
          this.version = (await this.store.readStream(this.stream).catch(() => ({ version: this.version }))).version;
          continue;
        }
        this.log.error({ err, stream: this.stream, type: event.type }, 'session event not recorded');
        return;
      }
    }
  }
}
