import { describe, expect, it } from 'vitest';
import { canonicalJson, chainEvents, computeEventHash, GENESIS_HASH } from './hash-chain.js';

const metadata = { correlationId: 'm-1', causationId: null, actor: 'api-key:k1', node: 'node-a' };

describe('canonicalJson', () => {
  it('sorts keys recursively by code unit, without whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' }, 10: 'ten', 2: 'two' }))
      .toBe('{"10":"ten","2":"two","a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('follows JSON.stringify for undefined, dates and non-finite numbers', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, NaN], c: new Date('2026-01-02T03:04:05.000Z') }))
      .toBe('{"b":[null,null],"c":"2026-01-02T03:04:05.000Z"}');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('gives the same text for a value and its JSON round trip in another key order', () => {
    const value = { z: [1, 'é', { q: null, p: false }], a: 0.1 };
    const reordered = JSON.parse('{"a":0.1,"z":[1,"é",{"p":false,"q":null}]}') as unknown;
    expect(canonicalJson(reordered)).toBe(canonicalJson(value));
  });
});

describe('computeEventHash', () => {
  it('is sha256 over the canonical JSON of prevHash, type, schemaVersion, data, metadata and recordedAt', () => {
    // Pinned: both adapters, and `elemta verify`, must keep computing exactly this.
    expect(computeEventHash({
      prevHash: GENESIS_HASH, type: 'MessageHeld', schemaVersion: 1,
      data: { reason: 'spam?', b: [1, 2.5, null], a: { y: true, x: 'é' } },
      metadata, recordedAt: '2026-11-20T10:00:00.123Z',
    })).toBe('829635c7765805b90633b613e18429380e26df5447db521f15bd96698e87dfdc');
  });

  it('ignores metadata beyond correlationId, causationId, actor and node', () => {
    const base = { prevHash: GENESIS_HASH, type: 'T', schemaVersion: 1, data: {}, metadata, recordedAt: '2026-11-20T10:00:00.000Z' };
    const extended = { ...base, metadata: { ...metadata, eventId: 'x', version: 3 } };
    expect(computeEventHash(extended)).toBe(computeEventHash(base));
  });

  it('hashes absent data as null, which is how it is stored', () => {
    const base = { prevHash: GENESIS_HASH, type: 'T', schemaVersion: 1, metadata, recordedAt: '2026-11-20T10:00:00.000Z' };
    expect(computeEventHash({ ...base, data: undefined })).toBe(computeEventHash({ ...base, data: null }));
  });
});

describe('chainEvents', () => {
  it('links each event of an append to the one before', () => {
    const events = [1, 2, 3].map((n) => ({ type: 'T', schemaVersion: 1, data: { n } }));
    const chained = chainEvents(events, GENESIS_HASH, metadata, '2026-11-20T10:00:00.000Z');
    expect(chained.map((c) => c.prevHash)).toEqual([GENESIS_HASH, chained[0]?.hash, chained[1]?.hash]);
    expect(new Set(chained.map((c) => c.hash)).size).toBe(3);
  });
});
