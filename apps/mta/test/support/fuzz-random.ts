/** A seeded PRNG (mulberry32): the same seed gives the same inputs, so a failing run can be replayed. */
export type Random = Readonly<{
  /** [0, 1) */
  next: () => number;
  /** An integer in [min, max]. */
  int: (min: number, max: number) => number;
  chance: (p: number) => boolean;
  pick: <T>(items: readonly T[]) => T;
  /** `length` bytes drawn from 0..255, skipping those in `except`. */
  bytes: (length: number, except?: readonly number[]) => Buffer;
  /** `length` characters drawn from `alphabet`. */
  text: (length: number, alphabet: string) => string;
}>;

export const createRandom = (seed: number): Random => {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)]!,
    bytes: (length, except = []) => {
      const out = Buffer.alloc(length);
      for (let i = 0; i < length; i++) {
        let b = int(0, 255);
        while (except.includes(b)) b = int(0, 255);
        out[i] = b;
      }
      return out;
    },
    text: (length, alphabet) => {
      let out = '';
      for (let i = 0; i < length; i++) out += alphabet[Math.floor(next() * alphabet.length)];
      return out;
    },
  };
};

/** An independent seed for item `index` of a run, so each session replays alone whatever ran beside it. */
export const deriveSeed = (seed: number, index: number): number => {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
};
