import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full garbage collection, so that heap figures compare live objects rather than collector timing. vitest starts
 * its workers without --expose-gc; the flag set at run time exposes `gc` to contexts created afterwards.
 */
export const fullGc = (): (() => void) => {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
};

export const MiB = 1024 * 1024;

/** JS heap plus the memory of Buffers and ArrayBuffers, which lives outside it (where a leaked line would be). */
export const retained = (): number => {
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
};

/** Samples retained memory and RSS while something runs, to bound the peak as well as what is left afterwards. */
export class MemoryProbe {
  peakRetained = 0;
  peakRss = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs = 50) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  private sample(): void {
    const { heapUsed, external, rss } = process.memoryUsage();
    this.peakRetained = Math.max(this.peakRetained, heapUsed + external);
    this.peakRss = Math.max(this.peakRss, rss);
  }
}

/** Retained memory after a full collection (twice: the first may only queue finalizers). */
export const settledRetained = async (gc: () => void): Promise<number> => {
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  return retained();
};
