import { describe, expect, it } from 'vitest';
import { AsyncQueue } from './async-queue.js';
import { sharedRuns } from './event-feed.js';

const settled = async <T>(p: Promise<T>): Promise<'pending' | T> => Promise.race([p, new Promise<'pending'>((r) => setTimeout(() => r('pending'), 20))]);

describe('AsyncQueue', () => {
  it('hands out pushed items in order, to waiting and later reads alike', async () => {
    const queue = new AsyncQueue<number>();
    const waiting = queue.next();
    queue.push(1);
    queue.push(2);
    expect(await waiting).toEqual({ value: 1, done: false });
    expect(await queue.next()).toEqual({ value: 2, done: false });
  });

  it('delivers what is queued before ending, then finishes once', async () => {
    let finished = 0;
    const queue = new AsyncQueue<string>(() => finished++);
    queue.push('a');
    queue.end();
    queue.push('ignored');
    expect(await queue.next()).toEqual({ value: 'a', done: false });
    expect(await queue.next()).toEqual({ value: undefined, done: true });
    expect(await queue.next()).toEqual({ value: undefined, done: true });
    expect(finished).toBe(1);
  });

  it('rejects once with the failure after the queued items', async () => {
    const queue = new AsyncQueue<string>();
    queue.push('a');
    queue.fail(new Error('store down'));
    expect(await queue.next()).toEqual({ value: 'a', done: false });
    await expect(queue.next()).rejects.toThrow('store down');
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });

  it('ends at once on return(), even while a read is waiting, and drops what is queued', async () => {
    let finished = 0;
    const queue = new AsyncQueue<number>(() => finished++);
    const waiting = queue.next();
    await queue.return();
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(finished).toBe(1);
    const other = new AsyncQueue<number>();
    other.push(1);
    await other.return();
    expect(await other.next()).toEqual({ value: undefined, done: true });
  });

  it('holds the producer back while highWater items are unread, and lets it go when the consumer leaves', async () => {
    const queue = new AsyncQueue<number>(() => {}, 2);
    queue.push(1);
    expect(await settled(queue.room())).toBeUndefined();
    queue.push(2);
    const room = queue.room();
    expect(await settled(room)).toBe('pending');
    await queue.next();
    expect(await settled(room)).toBeUndefined();
    queue.push(3);
    const again = queue.room();
    expect(await settled(again)).toBe('pending');
    await queue.return();
    expect(await settled(again)).toBeUndefined();
  });
});

describe('sharedRuns', () => {
  it('gives callers during a run the next run, shared, which starts after the current one', async () => {
    const log: string[] = [];
    const releases: Array<() => void> = [];
    let n = 0;
    const run = sharedRuns(() => {
      const i = ++n;
      log.push(`start ${i}`);
      return new Promise<void>((resolve) => releases.push(() => { log.push(`end ${i}`); resolve(); }));
    });
    const first = run();
    const second = run();
    const third = run();
    expect(second).toBe(third);
    expect(log).toEqual(['start 1']);
    releases.shift()!();
    await first;
    await new Promise((r) => setTimeout(r, 0));
    expect(log).toEqual(['start 1', 'end 1', 'start 2']);
    releases.shift()!();
    await second;
    expect(n).toBe(2);
    const later = run(); // nothing in progress: a run of its own, at once
    expect(n).toBe(3);
    releases.shift()!();
    await later;
  });

  it('starts the next run even when the current one fails', async () => {
    let calls = 0;
    const run = sharedRuns(async () => {
      calls++;
      if (calls === 1) throw new Error('batch failed');
    });
    const failing = run();
    const next = run();
    await expect(failing).rejects.toThrow('batch failed');
    await expect(next).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });
});
