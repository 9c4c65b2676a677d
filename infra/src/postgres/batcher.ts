/**
 * Group commit for any statement: items that arrive while a flush is in flight wait and go together in the next
 * one. Nothing waits for a timer: an idle batcher flushes after setImmediate, which only gathers the items of the
 * current event-loop turn. Each caller's promise settles when the flush that carried its item has settled.
 */
export const createBatcher = <T, R>(flush: (items: readonly T[]) => Promise<readonly R[]>, maxBatch: number) => {
  type Pending = { item: T; resolve: (r: R) => void; reject: (err: unknown) => void };
  let queue: Pending[] = [];
  let draining: Promise<void> | null = null;

  const drain = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.splice(0, maxBatch);
      try {
        const results = await flush(batch.map((p) => p.item));
        batch.forEach((p, i) => p.resolve(results[i] as R));
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    draining = null;
  };

  return {
    add: (item: T): Promise<R> =>
      new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        draining ??= new Promise<void>((r) => setImmediate(r)).then(drain);
      }),
    /** Resolves when everything added so far has settled. */
    idle: async (): Promise<void> => {
      while (draining) await draining;
    },
  };
};
