import { createHash } from 'node:crypto';
import type { AnyDomainEvent, EventMetadata } from '@elemta/domain';

/** The `prevHash` of the first event of every stream. */
export const GENESIS_HASH = '0'.repeat(64);

const keyJson = new Map<string, string>();
/** Member names repeat across events (a small, fixed set): their JSON form is computed once. */
const jsonKey = (key: string): string => {
  let json = keyJson.get(key);
  if (json === undefined) {
    json = JSON.stringify(key);
    if (keyJson.size < 10_000) keyJson.set(key, json);
  }
  return json;
};

const canonical = (value: unknown): string | undefined => {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      break;
    default:
      // Same rules as JSON.stringify: undefined, functions and symbols have no JSON form (bigint throws).
      return JSON.stringify(value) as string | undefined;
  }
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') return canonical(withToJson.toJSON());
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + (canonical(value[i]) ?? 'null');
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  // Sorted by UTF-16 code units (Array#sort's default), not by JS property order, which puts integer-like keys first.
  const keys = Object.keys(record);
  if (keys.length > 1) keys.sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const member = canonical(record[key]);
    if (member === undefined) continue;
    out += `${first ? '' : ','}${jsonKey(key)}:${member}`;
    first = false;
  }
  return `${out}}`;
};

/**
 * JSON with object keys sorted recursively and no whitespace. It follows JSON.stringify for everything else
 * (toJSON, undefined members dropped, undefined array items as null), so a value hashes the same before it
 * is stored and after it is read back from jsonb or from EventStoreDB, whatever key order those return.
 */
export const canonicalJson = (value: unknown): string => canonical(value) ?? 'null';

export type HashInput = Readonly<{
  prevHash: string;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: EventMetadata;
  /** ISO-8601, assigned by the adapter at append time and stored with the event. */
  recordedAt: string;
}>;

/**
 * sha256 (hex) of the canonical JSON of `{ prevHash, type, schemaVersion, data, metadata, recordedAt }`, where
 * metadata is exactly `{ correlationId, causationId, actor, node }`. Both adapters compute it in JS with this
 * function, so a stream's chain is identical whichever store holds it and `elemta verify` can check either.
 */
export const computeEventHash = (input: HashInput): string => {
  const { correlationId, causationId, actor, node } = input.metadata;
  const payload = {
    prevHash: input.prevHash,
    type: input.type,
    schemaVersion: input.schemaVersion,
    // Stored as JSON null when absent, so hash it as null too.
    data: input.data ?? null,
    metadata: { correlationId, causationId, actor, node },
    recordedAt: input.recordedAt,
  };
  return createHash('sha256').update(canonicalJson(payload)).digest('hex');
};

export type ChainedEvent = Readonly<{ event: AnyDomainEvent; prevHash: string; hash: string }>;

/** Links the events of one append onto the chain that ends with `prevHash`, in order. */
export const chainEvents = (
  events: readonly AnyDomainEvent[],
  prevHash: string,
  metadata: EventMetadata,
  recordedAt: string,
): ChainedEvent[] => {
  const chained: ChainedEvent[] = [];
  let previous = prevHash;
  for (const event of events) {
    const hash = computeEventHash({
      prevHash: previous, type: event.type, schemaVersion: event.schemaVersion, data: event.data, metadata, recordedAt,
    });
    chained.push({ event, prevHash: previous, hash });
    previous = hash;
  }
  return chained;
};
