import type { RecordedEvent, StreamName } from '@elemta/domain';
import { computeEventHash, GENESIS_HASH } from './hash-chain.js';

export type ChainVerdict =
  | Readonly<{ ok: true; checked: number }>
  | Readonly<{ ok: false; checked: number; brokenAt: ChainBreak }>;

/** Where a chain breaks: the event's version, why, and what was expected there against what is stored. */
export type ChainBreak = Readonly<{ version: number; reason: string; expected: string; actual: string }>;

/**
 * Reads a stream exactly as stored, without upcasting. Hashes cover the stored form of an event, so
 * verification must not see the upcast one (an upcast event would never match its hash).
 * Both `PostgresEventStore` and `EsdbEventStore` implement it.
 */
export interface RawStreamReader {
  readStreamRaw(stream: StreamName): Promise<RecordedEvent[]>;
}

/**
 * Recomputes each event's hash and checks that each `prevHash` is the previous event's hash and that versions
 * follow each other. `events` must be RAW stored events (`readStreamRaw`) in version order; a slice that starts
 * at version 1 must start from `GENESIS_HASH`, a later slice is anchored on its first `prevHash`.
 * `checked` counts the events found intact before the break.
 */
export const verifyChain = (events: readonly RecordedEvent[]): ChainVerdict => {
  let previous: RecordedEvent | undefined;
  let checked = 0;
  for (const event of events) {
    const { version, prevHash, hash } = event.metadata;
    const broken = (reason: string, expected: string, actual: string): ChainVerdict =>
      ({ ok: false, checked, brokenAt: { version, reason, expected, actual } });
    if (previous && version !== previous.metadata.version + 1) {
      return broken(`version ${version} follows ${previous.metadata.version}`, String(previous.metadata.version + 1), String(version));
    }
    if (previous && prevHash !== previous.metadata.hash) {
      return broken('prevHash does not match the previous event', previous.metadata.hash, prevHash);
    }
    if (!previous && version === 1 && prevHash !== GENESIS_HASH) {
      return broken('first event does not start from the genesis hash', GENESIS_HASH, prevHash);
    }
    const expected = computeEventHash({
      prevHash, type: event.type, schemaVersion: event.schemaVersion, data: event.data,
      metadata: event.metadata, recordedAt: event.metadata.recordedAt,
    });
    if (expected !== hash) return broken('hash does not match the event', expected, hash);
    previous = event;
    checked += 1;
  }
  return { ok: true, checked };
};

/** Reads a stream raw and verifies its chain. */
export const verifyStream = async (store: RawStreamReader, stream: StreamName): Promise<ChainVerdict> =>
  verifyChain(await store.readStreamRaw(stream));
