import { describe, expect, it } from 'vitest';
import {
  slidingWindowAdmits, slidingWindowEstimate, slidingWindowRetryAfterSeconds, type RateLimit, type WindowCounts,
} from './sliding-window.js';

const hourly: RateLimit = { count: 100, windowSeconds: 3600 };

/** given(limit, counts).then{Estimate,Admits,RetryAfter} */
const given = (limit: RateLimit, counts: WindowCounts) => ({
  thenEstimate: (expected: number) => expect(slidingWindowEstimate(limit, counts)).toBeCloseTo(expected, 9),
  thenAdmits: (expected: boolean) => expect(slidingWindowAdmits(limit, counts)).toBe(expected),
  thenRetryAfter: (seconds: number) => expect(slidingWindowRetryAfterSeconds(limit, counts)).toBeCloseTo(seconds, 6),
});

describe('sliding window estimate', () => {
  it('counts the whole previous window at the start of the current one', () =>
    given(hourly, { previous: 80, current: 0, elapsedSeconds: 0 }).thenEstimate(80));

  it('counts the share of the previous window that still overlaps the sliding window', () =>
    given(hourly, { previous: 80, current: 10, elapsedSeconds: 900 }).thenEstimate(80 * 0.75 + 10));

  it('forgets the previous window once the current one is over', () =>
    given(hourly, { previous: 80, current: 10, elapsedSeconds: 3600 }).thenEstimate(10));

  it('treats a clock before the window start as the window start', () =>
    given(hourly, { previous: 80, current: 0, elapsedSeconds: -5 }).thenEstimate(80));
});

describe('admission', () => {
  it('admits exactly `count` hits in a window when the previous one was empty', () => {
    given(hourly, { previous: 0, current: 99, elapsedSeconds: 10 }).thenAdmits(true);
    given(hourly, { previous: 0, current: 100, elapsedSeconds: 10 }).thenAdmits(false);
  });

  it('leaves room for only a few hits right after a full previous window', () => {
    given(hourly, { previous: 100, current: 1, elapsedSeconds: 60 }).thenAdmits(true); // 98.3 + 1
    given(hourly, { previous: 100, current: 2, elapsedSeconds: 60 }).thenAdmits(false); // 98.3 + 2
  });

  it('refuses when the overlap of the previous window and the current hits reach the limit', () =>
    given(hourly, { previous: 100, current: 75, elapsedSeconds: 900 }).thenAdmits(false)); // 75 + 75

  it('admits again as the previous window slides out', () =>
    given(hourly, { previous: 100, current: 75, elapsedSeconds: 2800 }).thenAdmits(true)); // 22.2 + 75

  it('admits nothing under a limit the current window already reached, whatever the previous one held', () =>
    given(hourly, { previous: 0, current: 100, elapsedSeconds: 3599 }).thenAdmits(false));
});

describe('retry after', () => {
  it('is 0 when a hit is admitted now', () => given(hourly, { previous: 0, current: 5, elapsedSeconds: 100 }).thenRetryAfter(0));

  it('waits for enough of the previous window to slide out', () =>
    // 100 × (1 − t/3600) + 75 < 100 once t > 2700; 900 s in, that is 1800 s away
    given(hourly, { previous: 100, current: 75, elapsedSeconds: 900 }).thenRetryAfter(1800));

  it('waits into the next window when the current one is full', () =>
    // the 100 hits become the previous window in 600 s; 100 × (1 − t/3600) < 100 from just after its start
    given(hourly, { previous: 0, current: 100, elapsedSeconds: 3000 }).thenRetryAfter(600));

  it('waits longer when the current window holds more than the limit (hits counted before a limit was lowered)', () =>
    // next window: 200 × (1 − t/3600) < 100 once t > 1800
    given(hourly, { previous: 0, current: 200, elapsedSeconds: 3000 }).thenRetryAfter(600 + 1800));

  it('is consistent with admission: refused just before the retry time, admitted just after', () => {
    const counts = { previous: 60, current: 70, elapsedSeconds: 600 };
    const limit: RateLimit = { count: 100, windowSeconds: 3600 };
    const wait = slidingWindowRetryAfterSeconds(limit, counts);
    expect(slidingWindowAdmits(limit, { ...counts, elapsedSeconds: 600 + wait - 1 })).toBe(false);
    expect(slidingWindowAdmits(limit, { ...counts, elapsedSeconds: 600 + wait + 1 })).toBe(true);
  });
});
