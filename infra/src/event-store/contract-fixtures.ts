import { v7 as uuidv7 } from 'uuid';
import {
  asSessionId, authAttempted,
  type AnyDomainEvent, type EventMetadata, type EventStore, type GlobalPosition, type RecordedEvent, type StreamName,
  type SubscribeOptions, type Subscription,
} from '@elemta/domain';
import type { RawStreamReader } from './verify-stream.js';

/** What the contract needs from an adapter: the port, plus raw reads for hash-chain verification. */
export type ContractStore = EventStore & RawStreamReader;

export const newSession = (): { id: string; stream: StreamName } => {
  const id = uuidv7();
  return { id, stream: `session-${asSessionId(id)}` as StreamName };
};

export const authEvent = (sessionId: string, user = 'alice'): AnyDomainEvent =>
  authAttempted({ sessionId, mechanism: 'PLAIN', user, outcome: 'success', at: new Date().toISOString() });

/** A type the domain does not know: validation and upcasting let it through unchanged. */
export const probeEvent = (n: number): AnyDomainEvent => ({ type: 'ContractProbe', schemaVersion: 1, data: { n } });

export const metadataFor = (correlationId: string): EventMetadata =>
  ({ correlationId, causationId: null, actor: 'smtp:127.0.0.1', node: 'contract-node' });

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const waitFor = async (what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
};

/** Appends one event to a fresh stream and returns its position: "now" in the global order. */
export const marker = async (store: EventStore): Promise<GlobalPosition> => {
  const { id, stream } = newSession();
  return (await store.appendToStream(stream, [probeEvent(0)], { expectedVersion: 0, metadata: metadataFor(id) })).position;
};

export const ofStreams = (events: readonly RecordedEvent[], streams: readonly string[]): RecordedEvent[] =>
  events.filter((e) => streams.includes(e.metadata.stream));

export const keysOf = (events: readonly RecordedEvent[]): string[] => events.map((e) => `${e.metadata.stream}#${e.metadata.version}`);

export type Collector = { received: RecordedEvent[]; subscription: Subscription };

export const collect = (store: EventStore, options: SubscribeOptions): Collector => {
  const received: RecordedEvent[] = [];
  const subscription = store.subscribeToAll(options, async (events) => {
    received.push(...events);
  });
  return { received, subscription };
};

/** Reads everything after `after` in pages of `limit`, following each page's last position. */
export const readAllPaged = async (
  store: EventStore, after: GlobalPosition | null, limit: number, types?: readonly string[],
): Promise<{ events: RecordedEvent[]; pages: number[] }> => {
  const events: RecordedEvent[] = [];
  const pages: number[] = [];
  let from = after;
  for (;;) {
    const page = await store.readAll({ after: from, limit, ...(types ? { types } : {}) });
    const last = page.at(-1);
    if (!last) return { events, pages };
    pages.push(page.length);
    events.push(...page);
    from = last.metadata.position;
  }
};
