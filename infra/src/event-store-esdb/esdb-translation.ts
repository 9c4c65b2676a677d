import {
  ANY, NO_STREAM, START,
  type AllStreamResolvedEvent, type CurrentRevision, type ExpectedRevision, type Position, type ReadPosition,
  type ResolvedEvent,
} from '@eventstore/db-client';
import {
  asGlobalPosition, type AnyDomainEvent, type EventMetadata, type GlobalPosition, type RecordedEvent, type StreamName,
} from '@elemta/domain';
import { GENESIS_HASH } from '../event-store/hash-chain.js';

/** Our versions count events (first = 1); EventStoreDB revisions index them (first = 0). */
export const versionToRevision = (version: number): bigint => BigInt(version - 1);
export const revisionToVersion = (revision: bigint): number => Number(revision) + 1;

/** The expected revision for "the stream is at `version`": 0 means the stream must not exist. */
export const expectedRevisionFor = (expected: number | 'any'): ExpectedRevision => {
  if (expected === 'any') return ANY;
  return expected === 0 ? NO_STREAM : versionToRevision(expected);
};

/** The stream's version from the client's `actualVersion` (a revision, or no_stream). */
export const versionOfCurrentRevision = (current: CurrentRevision | string | bigint | undefined): number | null => {
  if (current === NO_STREAM) return 0;
  return typeof current === 'bigint' ? revisionToVersion(current) : null;
};

export const encodeEsdbPosition = (position: Position): GlobalPosition =>
  asGlobalPosition(`${position.commit}/${position.prepare}`);

export const decodeEsdbPosition = (value: GlobalPosition | null): ReadPosition => {
  if (value === null) return START;
  const match = /^(\d+)\/(\d+)$/.exec(value);
  if (!match?.[1] || !match[2]) throw new RangeError(`not an EventStoreDB position: ${value}`);
  return { commit: BigInt(match[1]), prepare: BigInt(match[2]) };
};

/**
 * Whether `a` is at or before `from` in $all order (commit, then prepare). Reads of $all start AT a position, and an
 * append's reported position need not be exactly an event's, so "strictly after" is enforced on our side.
 */
export const atOrBefore = (a: Position | undefined, from: ReadPosition): boolean => {
  if (a === undefined || typeof from !== 'object') return false;
  return a.commit < from.commit || (a.commit === from.commit && a.prepare <= from.prepare);
};

/** Stream reads come from the index and may carry no real log position (absent, or 2^64-1). */
const UNKNOWN_POSITION = 2n ** 64n - 1n;
const knownPosition = (p: Position | undefined): p is Position =>
  p !== undefined && p.commit >= 0n && p.commit !== UNKNOWN_POSITION && p.prepare !== UNKNOWN_POSITION;

/** What we keep in an event's metadata JSON: EventStoreDB has no place of its own for these. */
export type EsdbEventMetadata = EventMetadata & Readonly<{ schemaVersion: number; recordedAt: string; prevHash: string; hash: string }>;

/** System events ($-prefixed types or streams: $metadata, $statistics, projections) are never delivered. */
export const isSystemEvent = (type: string, streamId: string): boolean => type.startsWith('$') || streamId.startsWith('$');

type AnyResolved = ResolvedEvent | AllStreamResolvedEvent;

/** The stored event (not upcast), or null for a link, a system event or a non-JSON event. */
export const toRecordedEvent = (resolved: AnyResolved): RecordedEvent | null => {
  const event = resolved.event;
  if (!event || !event.isJson || isSystemEvent(event.type, event.streamId)) return null;
  const meta = (event.metadata ?? {}) as Partial<EsdbEventMetadata>;
  return {
    type: event.type,
    schemaVersion: meta.schemaVersion ?? 1,
    data: event.data as AnyDomainEvent['data'],
    metadata: {
      correlationId: meta.correlationId ?? '',
      causationId: meta.causationId ?? null,
      actor: meta.actor ?? '',
      node: meta.node ?? '',
      eventId: event.id,
      stream: event.streamId as StreamName,
      version: revisionToVersion(event.revision),
      // Unknown on some servers' stream reads: an empty position, never a wrong one.
      position: knownPosition(event.position) ? encodeEsdbPosition(event.position) : asGlobalPosition(''),
      recordedAt: meta.recordedAt ?? event.created.toISOString(),
      prevHash: meta.prevHash ?? GENESIS_HASH,
      hash: meta.hash ?? '',
    },
  };
};

/** `^(?:A|B)$` for an event-type filter, with regex metacharacters escaped. */
export const eventTypesRegex = (types: readonly string[]): string =>
  `^(?:${types.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`;
