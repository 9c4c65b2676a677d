/** At most `count` hits in any `windowSeconds`. */
export type RateLimit = Readonly<{ count: number; windowSeconds: number }>;

/**
 * What a two-bucket sliding window knows at one moment: the hits counted in the fixed window before the current one
 * (`previous`), the hits counted so far in the current fixed window (`current`), and the seconds since the current
 * window began (`elapsedSeconds`). Fixed windows are aligned on the epoch, so every node agrees on them.
 */
export type WindowCounts = Readonly<{ previous: number; current: number; elapsedSeconds: number }>;

const fraction = (limit: RateLimit, elapsedSeconds: number): number =>
  Math.min(1, Math.max(0, elapsedSeconds / limit.windowSeconds));

/**
 * The estimated number of hits in the sliding window that ends now: `previous × (1 − elapsed / window) + current`.
 * It assumes the previous window's hits were spread evenly, and counts the part of them that still overlaps the
 * sliding window (the estimate of nginx's and Cloudflare's limiters). It needs two counters per key instead of one
 * row per hit, and is exact whenever traffic is steady; under bursts it errs by at most the previous window's
 * count times the share of it that fell on the wrong side of the boundary.
 */
export const slidingWindowEstimate = (limit: RateLimit, counts: WindowCounts): number =>
  counts.previous * (1 - fraction(limit, counts.elapsedSeconds)) + counts.current;

/** A hit is admitted while the hits already in the sliding window are fewer than the limit (so `count` pass per window). */
export const slidingWindowAdmits = (limit: RateLimit, counts: WindowCounts): boolean =>
  slidingWindowEstimate(limit, counts) < limit.count;

/**
 * Seconds until a hit would be admitted again, assuming no other hit is admitted meanwhile; 0 when one is admitted
 * now. Within the current window the estimate falls as the previous window slides out: `previous × (1 − t / window)
 * + current < limit` once `t > window × (1 − (limit − current) / previous)`. When the current window alone is full,
 * its count becomes the previous one at the next boundary and the same reasoning applies with `current = 0`.
 */
export const slidingWindowRetryAfterSeconds = (limit: RateLimit, counts: WindowCounts): number => {
  if (slidingWindowAdmits(limit, counts)) return 0;
  const window = limit.windowSeconds;
  const elapsed = fraction(limit, counts.elapsedSeconds) * window;
  if (counts.current < limit.count) {
    // previous > 0 here, or the hit would have been admitted
    const at = window * (1 - (limit.count - counts.current) / counts.previous);
    return Math.max(0, at - elapsed);
  }
  return window - elapsed + window * (1 - limit.count / counts.current);
};
