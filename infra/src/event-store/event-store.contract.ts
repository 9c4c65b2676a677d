import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authAttempted, DomainError, WrongExpectedVersionError, type AnyDomainEvent, type RecordedEvent } from '@elemta/domain';
import {
  authEvent, collect, keysOf, marker, metadataFor, newSession, ofStreams, probeEvent, readAllPaged, sleep, waitFor,
  type ContractStore,
} from './contract-fixtures.js';
import { GENESIS_HASH } from './hash-chain.js';
import { verifyChain } from './verify-stream.js';

export type { ContractStore } from './contract-fixtures.js';

const withoutPosition = (e: RecordedEvent) => ({ ...e, metadata: { ...e.metadata, position: null } });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The behaviour every `EventStore` adapter must show, run by each adapter's integration test against a real server.
 * `setup` is called once for the suite; tests use fresh streams and positions taken during the test, so they also
 * pass on a server that already holds other events. The contract takes no adapter-specific options.
 */
export const describeEventStoreContract = (
  name: string,
  setup: () => Promise<{ store: ContractStore; teardown: () => Promise<void> }>,
): void => {
  describe(`EventStore contract: ${name}`, () => {
    let store: ContractStore;
    let teardown: (() => Promise<void>) | undefined;
    beforeAll(async () => {
      ({ store, teardown } = await setup());
    });
    afterAll(async () => {
      await teardown?.();
    });
    const append = (stream: string, events: AnyDomainEvent[], expectedVersion: number | 'any', correlationId = 'c') =>
      store.appendToStream(stream as never, events, { expectedVersion, metadata: metadataFor(correlationId) });

    it('answers ping and reads an unknown stream as empty', async () => {
      expect(await store.ping()).toBe(true);
      const { stream } = newSession();
      expect(await store.readStream(stream)).toEqual({ version: 0, events: [] });
      expect(await store.readStreamRaw(stream)).toEqual([]);
      expect(await store.readAll({ after: await marker(store), limit: 10, types: ['ContractNeverWritten'] })).toEqual([]);
    });

    it('round-trips events with all their metadata', async () => {
      const { id, stream } = newSession();
      const start = await marker(store);
      const metadata = { correlationId: id, causationId: randomUUID(), actor: 'api-key:k1', node: 'node-a' };
      const sent = [authEvent(id, 'alice'), authEvent(id, 'bob')];
      const before = Date.now();
      const result = await store.appendToStream(stream, sent, { expectedVersion: 0, metadata });
      const { version, events } = await store.readStream(stream);
      expect(result.version).toBe(2);
      expect(version).toBe(2);
      expect(events.map(({ type, schemaVersion, data }) => ({ type, schemaVersion, data }))).toEqual(sent);
      events.forEach((e, i) => {
        expect(e.metadata).toMatchObject({ ...metadata, stream, version: i + 1 });
        expect(e.metadata.eventId).toMatch(UUID);
        expect(e.metadata.hash).toMatch(/^[0-9a-f]{64}$/);
        const recordedAt = Date.parse(e.metadata.recordedAt);
        expect(new Date(recordedAt).toISOString()).toBe(e.metadata.recordedAt);
        expect(recordedAt).toBeGreaterThanOrEqual(before - 1000);
        expect(recordedAt).toBeLessThanOrEqual(Date.now() + 1000);
      });
      expect(events[0]?.metadata.eventId).not.toBe(events[1]?.metadata.eventId);
      expect(events[0]?.metadata.prevHash).toBe(GENESIS_HASH);
      expect(events[1]?.metadata.prevHash).toBe(events[0]?.metadata.hash);
      // Positions are only promised by readAll and subscriptions (EventStoreDB's stream reads may not know them).
      const all = ofStreams((await readAllPaged(store, start, 100)).events, [stream]);
      expect(all.map(withoutPosition)).toEqual(events.map(withoutPosition));
      expect(ofStreams((await readAllPaged(store, result.position, 100)).events, [stream])).toEqual([]);
    });

    it('numbers versions by event count', async () => {
      const { id, stream } = newSession();
      expect((await append(stream, [authEvent(id)], 0)).version).toBe(1);
      expect((await append(stream, [authEvent(id), authEvent(id)], 1)).version).toBe(3);
      expect((await append(stream, [probeEvent(4)], 'any')).version).toBe(4);
      const { version, events } = await store.readStream(stream);
      expect(version).toBe(4);
      expect(events.map((e) => e.metadata.version)).toEqual([1, 2, 3, 4]);
    });

    it('refuses stale and impossible expected versions and writes nothing', async () => {
      const { id, stream } = newSession();
      await expect(append(stream, [authEvent(id)], 1)).rejects.toBeInstanceOf(WrongExpectedVersionError);
      expect((await store.readStream(stream)).version).toBe(0);
      await append(stream, [authEvent(id)], 0);
      const stale = append(stream, [authEvent(id)], 0);
      await expect(stale).rejects.toBeInstanceOf(WrongExpectedVersionError);
      await expect(stale).rejects.toMatchObject({ stream, expected: 0 });
      await expect(append(stream, [authEvent(id)], 3)).rejects.toBeInstanceOf(WrongExpectedVersionError);
      expect((await store.readStream(stream)).version).toBe(1);
    });

    it("appends at the end with 'any', keeping the chain", async () => {
      const { id, stream } = newSession();
      expect((await append(stream, [authEvent(id)], 'any')).version).toBe(1);
      expect((await append(stream, [authEvent(id), probeEvent(2)], 'any')).version).toBe(3);
      expect(verifyChain(await store.readStreamRaw(stream))).toEqual({ ok: true, checked: 3 });
    });

    it('lets exactly one of concurrent appends with the same expected version win', async () => {
      const { id, stream } = newSession();
      for (const expected of [0, 1]) {
        const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => append(stream, [probeEvent(i)], expected, id)));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results.filter((r) => r.status === 'rejected')) {
          expect(r.reason).toBeInstanceOf(WrongExpectedVersionError);
        }
        expect((await store.readStream(stream)).version).toBe(expected + 1);
      }
      expect(verifyChain(await store.readStreamRaw(stream)).ok).toBe(true);
    });

    it('reads all streams in global order, resumes from any position, and filters by type', async () => {
      const a = newSession();
      const b = newSession();
      const start = await marker(store);
      const positions: string[] = [];
      const steps: [string, AnyDomainEvent, number][] = [
        [a.stream, authEvent(a.id), 0], [b.stream, probeEvent(1), 0], [a.stream, authEvent(a.id), 1],
        [b.stream, probeEvent(2), 1], [a.stream, authEvent(a.id), 2],
      ];
      for (const [stream, event, expected] of steps) positions.push((await append(stream, [event], expected)).position);
      const order = [`${a.stream}#1`, `${b.stream}#1`, `${a.stream}#2`, `${b.stream}#2`, `${a.stream}#3`];
      const whole = await readAllPaged(store, start, 1000);
      expect(keysOf(ofStreams(whole.events, [a.stream, b.stream]))).toEqual(order);
      expect(whole.events.map((e) => e.metadata.position)).toContain(positions[2]);
      const paged = await readAllPaged(store, start, 2);
      expect(paged.pages.every((n) => n <= 2)).toBe(true);
      expect(paged.events).toEqual(whole.events);
      const resumed = await readAllPaged(store, positions[2] as never, 100);
      expect(keysOf(ofStreams(resumed.events, [a.stream, b.stream]))).toEqual(order.slice(3));
      const probes = await readAllPaged(store, start, 100, ['ContractProbe']);
      expect(probes.events.every((e) => e.type === 'ContractProbe')).toBe(true);
      expect(keysOf(ofStreams(probes.events, [a.stream, b.stream]))).toEqual([`${b.stream}#1`, `${b.stream}#2`]);
    });

    it('subscribes from the start, catches up, then delivers new events', async () => {
      const s = newSession();
      await append(s.stream, [authEvent(s.id), authEvent(s.id), probeEvent(3)], 0);
      const { received, subscription } = collect(store, { after: null });
      try {
        await waitFor('catch-up', () => ofStreams(received, [s.stream]).length === 3);
        await append(s.stream, [probeEvent(4)], 3);
        await waitFor('live event', () => ofStreams(received, [s.stream]).length === 4);
        expect(keysOf(ofStreams(received, [s.stream]))).toEqual([1, 2, 3, 4].map((v) => `${s.stream}#${v}`));
        expect(new Set(received.map((e) => e.metadata.eventId)).size).toBe(received.length);
      } finally {
        await subscription.stop();
      }
      await expect(subscription.done).resolves.toBeUndefined();
    });

    it('subscribes from a checkpoint, strictly after it, with a type filter', async () => {
      const s = newSession();
      await append(s.stream, [authEvent(s.id)], 0);
      const checkpoint = (await append(s.stream, [probeEvent(2)], 1)).position;
      await append(s.stream, [authEvent(s.id), probeEvent(4)], 2);
      const all = collect(store, { after: checkpoint });
      const probes = collect(store, { after: checkpoint, types: ['ContractProbe'], batchSize: 1 });
      try {
        await waitFor('events after the checkpoint', () => ofStreams(all.received, [s.stream]).length >= 2);
        await waitFor('probes after the checkpoint', () => ofStreams(probes.received, [s.stream]).length >= 1);
        await sleep(100);
        expect(keysOf(ofStreams(all.received, [s.stream]))).toEqual([`${s.stream}#3`, `${s.stream}#4`]);
        expect(keysOf(ofStreams(probes.received, [s.stream]))).toEqual([`${s.stream}#4`]);
        expect(probes.received.every((e) => e.type === 'ContractProbe')).toBe(true);
      } finally {
        await Promise.all([all.subscription.stop(), probes.subscription.stop()]);
      }
    });

    it('wakes a subscription as soon as an event is committed', async () => {
      const s = newSession();
      const { received, subscription } = collect(store, { after: await marker(store) });
      const latencies: number[] = [];
      try {
        await sleep(50);
        for (let v = 0; v < 5; v++) {
          const started = performance.now();
          await append(s.stream, [probeEvent(v)], v);
          await waitFor('live event', () => ofStreams(received, [s.stream]).length === v + 1, 1000);
          latencies.push(performance.now() - started);
          await sleep(v * 37 % 100); // vary the phase against any polling interval
        }
      } finally {
        await subscription.stop();
      }
      const average = latencies.reduce((x, y) => x + y, 0) / latencies.length;
      expect(average, `latencies ${latencies.map((l) => l.toFixed(0)).join(', ')} ms`).toBeLessThan(150);
    });

    it('stops delivering after stop() and ends the subscription when the handler throws', async () => {
      const s = newSession();
      const { received, subscription } = collect(store, { after: await marker(store) });
      await append(s.stream, [probeEvent(1)], 0);
      await waitFor('first event', () => ofStreams(received, [s.stream]).length === 1);
      await subscription.stop();
      await expect(subscription.done).resolves.toBeUndefined();
      await append(s.stream, [probeEvent(2)], 1);
      await sleep(700);
      expect(ofStreams(received, [s.stream])).toHaveLength(1);

      const failing = store.subscribeToAll({ after: await marker(store) }, async () => {
        throw new Error('handler failed');
      });
      await append(s.stream, [probeEvent(3)], 2);
      await expect(failing.done).rejects.toThrow('handler failed');
    });

    it('passes an event of an unknown type through reads unchanged', async () => {
      const { stream } = newSession();
      const start = await marker(store);
      const future = { type: 'FromTheFuture', schemaVersion: 7, data: { nested: { z: 1, a: [1, 'x', null] }, flag: true } };
      await append(stream, [future], 0);
      const [read] = (await store.readStream(stream)).events;
      expect({ type: read?.type, schemaVersion: read?.schemaVersion, data: read?.data }).toEqual(future);
      const [fromAll] = ofStreams((await readAllPaged(store, start, 100)).events, [stream]);
      expect(fromAll && withoutPosition(fromAll)).toEqual(read && withoutPosition(read));
    });

    it('chains hashes per stream, and verifyChain finds a changed, removed or reordered event', async () => {
      const { id, stream } = newSession();
      await append(stream, [authEvent(id, 'a'), authEvent(id, 'b')], 0);
      await append(stream, [probeEvent(3)], 2);
      const raw = await store.readStreamRaw(stream);
      expect(verifyChain(raw)).toEqual({ ok: true, checked: 3 });
      const [first, second, third] = raw as [RecordedEvent, RecordedEvent, RecordedEvent];
      const changed = { ...second, data: { ...(second.data as object), user: 'mallory' } };
      expect(verifyChain([first, changed, third])).toMatchObject({ ok: false, checked: 1, brokenAt: { version: 2 } });
      expect(verifyChain([first, third])).toMatchObject({ ok: false, brokenAt: { version: 3 } });
      const relinked = { ...second, metadata: { ...second.metadata, actor: 'someone-else' } };
      expect(verifyChain([first, relinked, third])).toMatchObject({ ok: false, brokenAt: { version: 2 } });
    });

    it('refuses an invalid event of a known type and writes nothing', async () => {
      const { id, stream } = newSession();
      const invalid = authAttempted({ sessionId: id, mechanism: 'PLAIN', user: 'x', outcome: 'maybe' as never, at: 'yesterday' });
      const attempt = append(stream, [authEvent(id), invalid], 0);
      await expect(attempt).rejects.toBeInstanceOf(DomainError);
      await expect(attempt).rejects.toMatchObject({ code: 'INVALID_EVENT' });
      expect((await store.readStream(stream)).version).toBe(0);
    });
  });
};
