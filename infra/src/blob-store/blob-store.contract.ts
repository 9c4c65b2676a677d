import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobStore } from '@elemta/domain';

export type BlobStoreFixture = Readonly<{ store: BlobStore; teardown: () => Promise<void> }>;

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const bytesOf = (value: Uint8Array | null) => (value === null ? null : Buffer.from(value));

/** The behaviour every BlobStore adapter must show, run against the real backing store. */
export const describeBlobStoreContract = (name: string, setup: () => Promise<BlobStoreFixture>): void => {
  describe(`${name} (BlobStore contract)`, () => {
    let fixture: BlobStoreFixture;
    let store: BlobStore;
    beforeAll(async () => {
      fixture = await setup();
      store = fixture.store;
    });
    afterAll(async () => {
      await store.close();
      await fixture.teardown();
    });

    it('returns exactly the bytes put, including NUL, CR LF and 8-bit bytes', async () => {
      const body = new Uint8Array([...Array.from({ length: 256 }, (_, i) => i), 0, 0, 13, 10, 0xff, 0x80]);
      const stored = await store.put(body);
      expect(stored).toEqual({ sha256: sha(body), ref: expect.any(String), sizeBytes: body.byteLength });
      expect(bytesOf(await store.get(stored.ref))).toEqual(Buffer.from(body));
    });

    it('stores an empty body', async () => {
      const stored = await store.put(new Uint8Array(0));
      expect(stored.sizeBytes).toBe(0);
      expect(bytesOf(await store.get(stored.ref))).toEqual(Buffer.alloc(0));
    });

    it('treats a second put of the same bytes as a no-op with the same ref', async () => {
      const body = Buffer.from(`Subject: twice\r\n\r\n${randomBytes(8).toString('hex')}\r\n`);
      const first = await store.put(body);
      const second = await store.put(Buffer.from(body));
      expect(second).toEqual(first);
      expect(bytesOf(await store.get(first.ref))).toEqual(body);
    });

    it('answers null and false for refs it never stored', async () => {
      const unknown = sha(randomBytes(32));
      expect(await store.get(unknown)).toBeNull();
      expect(await store.has(unknown)).toBe(false);
      expect(await store.get('../../etc/passwd')).toBeNull();
      expect(await store.has('not-a-ref')).toBe(false);
    });

    it('knows which refs it has', async () => {
      const stored = await store.put(randomBytes(100));
      expect(await store.has(stored.ref)).toBe(true);
    });

    it('round-trips a 5 MiB body', async () => {
      const body = randomBytes(5 * 1024 * 1024);
      const stored = await store.put(body);
      expect(stored.sizeBytes).toBe(body.byteLength);
      const back = await store.get(stored.ref);
      expect(back?.byteLength).toBe(body.byteLength);
      expect(Buffer.from(back as Uint8Array).equals(body)).toBe(true);
    });

    it('stores 200 concurrent puts, identical bodies among them, each readable afterwards', async () => {
      const bodies = Array.from({ length: 200 }, (_, i) =>
        i % 20 === 0 ? Buffer.from('the same body put ten times at once\r\n') : randomBytes(1024 + i));
      const stored = await Promise.all(bodies.map((b) => store.put(b)));
      expect(stored.map((s) => s.sha256)).toEqual(bodies.map(sha));
      expect(new Set(stored.map((s) => s.ref)).size).toBe(191);
      const back = await Promise.all(stored.map((s) => store.get(s.ref)));
      back.forEach((b, i) => expect(bytesOf(b)).toEqual(bodies[i]));
    });
  });
};
