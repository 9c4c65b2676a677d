import { describe, expect, it } from 'vitest';
import { defaultRetryPolicy, nextAttemptAt, retryDelaySeconds, type RetryPolicy } from './retry-schedule.js';

const policy: RetryPolicy = {
  initialDelaySeconds: 300, multiplier: 2, maxDelaySeconds: 3600, jitterRatio: 0.1, maxQueueSeconds: 86_400,
};
const acceptedAt = '2026-11-20T10:00:00.000Z';
const after = (seconds: number) => new Date(Date.parse(acceptedAt) + seconds * 1000).toISOString();

describe('retryDelaySeconds', () => {
  it('gives the plain exponential delay with jitter 0.5', () =>
    expect([1, 2, 3, 4].map((attempt) => retryDelaySeconds(attempt, policy, 0.5))).toEqual([300, 600, 1200, 2400]));

  it('treats attempt 0 like the first attempt', () => expect(retryDelaySeconds(0, policy, 0.5)).toBe(300));

  it('caps the delay at maxDelaySeconds', () =>
    expect([5, 6, 20].map((attempt) => retryDelaySeconds(attempt, policy, 0.5))).toEqual([3600, 3600, 3600]));

  it('shortens the delay by jitterRatio at jitter 0', () => expect(retryDelaySeconds(1, policy, 0)).toBeCloseTo(270, 9));

  it('lengthens the delay by almost jitterRatio at jitter close to 1', () => {
    const delay = retryDelaySeconds(1, policy, 0.999_999);
    expect(delay).toBeLessThan(330);
    expect(delay).toBeGreaterThan(329.99);
  });

  it('keeps every delay within [1 - jitterRatio, 1 + jitterRatio] of the plain delay', () => {
    for (const jitter of [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999]) {
      const delay = retryDelaySeconds(3, policy, jitter);
      expect(delay).toBeGreaterThanOrEqual(1200 * 0.9 - 1e-9);
      expect(delay).toBeLessThanOrEqual(1200 * 1.1 + 1e-9);
    }
  });

  it('clamps jitter outside [0, 1]', () =>
    expect([retryDelaySeconds(1, policy, -5), retryDelaySeconds(1, policy, 7)].map((d) => Math.round(d))).toEqual([270, 330]));

  it('applies no spread when jitterRatio is 0', () =>
    expect(retryDelaySeconds(2, { ...policy, jitterRatio: 0 }, 0.01)).toBe(600));

  it('starts from Postfix-like defaults', () =>
    expect([retryDelaySeconds(1, defaultRetryPolicy, 0.5), defaultRetryPolicy.maxQueueSeconds]).toEqual([300, 5 * 24 * 3600]));
});

describe('nextAttemptAt', () => {
  it('adds the delay to now', () =>
    expect(nextAttemptAt({ attempt: 2, now: after(1000), acceptedAt, jitter: 0.5 }, policy)).toBe(after(1600)));

  it('rounds the delay to whole milliseconds', () =>
    // 300 × (1 + 0.1 × (2 × 0.123 - 1)) = 277.38 s
    expect(nextAttemptAt({ attempt: 1, now: after(0), acceptedAt, jitter: 0.123 }, policy)).toBe('2026-11-20T10:04:37.380Z'));

  it('clamps the next attempt to the expiry time', () =>
    expect(nextAttemptAt({ attempt: 5, now: after(86_000), acceptedAt, jitter: 0.5 }, policy)).toBe(after(86_400)));

  it('returns null at the expiry time', () =>
    expect(nextAttemptAt({ attempt: 1, now: after(86_400), acceptedAt, jitter: 0.5 }, policy)).toBeNull());

  it('returns null after the expiry time', () =>
    expect(nextAttemptAt({ attempt: 1, now: after(100_000), acceptedAt, jitter: 0.5 }, policy)).toBeNull());

  it('still schedules one millisecond before the expiry time', () =>
    expect(nextAttemptAt({ attempt: 1, now: '2026-11-21T09:59:59.999Z', acceptedAt, jitter: 0.5 }, policy)).toBe(after(86_400)));

  it('accepts timestamps with an offset', () =>
    expect(nextAttemptAt({ attempt: 1, now: '2026-11-20T11:00:00+01:00', acceptedAt, jitter: 0.5 }, policy)).toBe(after(300)));
});
