/**
 * When temporary failures are retried and how long a message may stay queued. Postfix's defaults are close
 * (minimal_backoff_time 300 s, maximal_backoff_time 4000 s, maximal_queue_lifetime 5 d).
 */
export type RetryPolicy = Readonly<{
  /** Delay after the first failed attempt. */
  initialDelaySeconds: number;
  /** Each further attempt waits `multiplier` times longer… */
  multiplier: number;
  /** …up to this. */
  maxDelaySeconds: number;
  /** Spread: a delay is scaled by a factor in [1 - jitterRatio, 1 + jitterRatio], so queues do not retry in lockstep. */
  jitterRatio: number;
  /** After this time in the queue, pending recipients expire and the sender gets a DSN. */
  maxQueueSeconds: number;
}>;

export const defaultRetryPolicy: RetryPolicy = {
  initialDelaySeconds: 300, multiplier: 2, maxDelaySeconds: 4 * 3600, jitterRatio: 0.1, maxQueueSeconds: 5 * 24 * 3600,
};

/**
 * The delay before attempt `attempt + 1`, after `attempt` failed attempts (1-based). `jitter` is a number in [0, 1)
 * supplied by the caller (the domain takes no randomness): 0.5 gives the plain exponential delay.
 */
export const retryDelaySeconds = (attempt: number, policy: RetryPolicy, jitter: number): number => {
  const exponent = Math.max(0, attempt - 1);
  const base = Math.min(policy.initialDelaySeconds * policy.multiplier ** exponent, policy.maxDelaySeconds);
  const factor = 1 + policy.jitterRatio * (2 * Math.min(Math.max(jitter, 0), 1) - 1);
  return Math.max(0, base * factor);
};

/**
 * The time of the next attempt, never later than the expiry time, so that the last attempt happens at expiry and a
 * failure then expires the recipient. Returns null when the message has already reached its expiry time.
 */
export const nextAttemptAt = (
  args: Readonly<{ attempt: number; now: string; acceptedAt: string; jitter: number }>, policy: RetryPolicy,
): string | null => {
  const now = Date.parse(args.now);
  const expiry = Date.parse(args.acceptedAt) + policy.maxQueueSeconds * 1000;
  if (now >= expiry) return null;
  const next = now + Math.round(retryDelaySeconds(args.attempt, policy, args.jitter) * 1000);
  return new Date(Math.min(next, expiry)).toISOString();
};
