import { describe, expect, it } from 'vitest';
import { GroupedSync } from './grouped-sync.js';

/** An fsync we complete by hand, recording when each one started. */
const manualFsync = () => {
  const started: { dir: string; finish: (err?: Error) => void }[] = [];
  const fsync = (dir: string) =>
    new Promise<void>((resolve, reject) => started.push({ dir, finish: (err) => (err ? reject(err) : resolve()) }));
  return { started, fsync };
};
const tick = () => new Promise((r) => setImmediate(r));

describe('GroupedSync', () => {
  it('covers every caller that arrives during an fsync with one next fsync', async () => {
    const { started, fsync } = manualFsync();
    const group = new GroupedSync(fsync);
    const done: number[] = [];
    const first = group.sync('/d').then(() => done.push(0));
    const later = Array.from({ length: 10 }, (_, i) => group.sync('/d').then(() => done.push(i + 1)));
    expect(started).toHaveLength(1);
    started[0]?.finish();
    await first;
    await tick();
    // The callers that came during the first fsync must not be released by it: their renames came after it began.
    expect(done).toEqual([0]);
    expect(started).toHaveLength(2);
    started[1]?.finish();
    await Promise.all(later);
    expect(done).toHaveLength(11);
    expect(started).toHaveLength(2);
  });

  it('syncs different directories independently and passes errors to the callers', async () => {
    const { started, fsync } = manualFsync();
    const group = new GroupedSync(fsync);
    const a = group.sync('/a');
    const b = group.sync('/b');
    expect(started.map((s) => s.dir)).toEqual(['/a', '/b']);
    started[0]?.finish(new Error('EIO'));
    started[1]?.finish();
    await expect(a).rejects.toThrow('EIO');
    await expect(b).resolves.toBeUndefined();
    const again = group.sync('/a');
    expect(started).toHaveLength(3);
    started[2]?.finish();
    await expect(again).resolves.toBeUndefined();
  });
});
