import type { Decider } from './decider.js';
import { WrongExpectedVersionError } from './errors.js';
import type { AnyDomainEvent } from './events/common.js';
import type { AppendResult, EventMetadata, EventStore } from './event-store.js';
import type { StreamName } from './ids.js';

export type HandleResult<E> = Readonly<{ events: E[]; result: AppendResult | null; version: number }>;

/**
 * Reads the stream, folds it, decides, and appends with `expectedVersion` set to the version it read.
 * On `WrongExpectedVersionError` it reads again and retries, up to `retries` times (3 by default).
 * A command that decides nothing appends nothing and returns `result: null`.
 */
export const handleCommand = async <C, E extends AnyDomainEvent, S>(
  store: EventStore,
  decider: Decider<C, E, S>,
  stream: StreamName,
  command: C,
  metadata: EventMetadata,
  retries = 3,
): Promise<HandleResult<E>> => {
  for (let attempt = 0; ; attempt++) {
    const { version, events } = await store.readStream<E>(stream);
    const state = events.reduce<S>((s, e) => decider.evolve(s, e), decider.initialState);
    const decided = decider.decide(command, state);
    if (decided.length === 0) return { events: [], result: null, version };
    try {
      const result = await store.appendToStream(stream, decided, { expectedVersion: version, metadata });
      return { events: decided, result, version: result.version };
    } catch (err) {
      if (!(err instanceof WrongExpectedVersionError) || attempt >= retries) throw err;
    }
  }
};
