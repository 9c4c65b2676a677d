import { ipKey, userKey } from '../auth/auth-failures.js';

export type AuthPolicy = Readonly<{
  /** AUTH without TLS (the listener allows it explicitly). */
  allowInsecureAuth: boolean;
  /** Failures per client IP or per user within the window before 454. */
  maxFailures: number;
  /** The delay of the second failure's reply; it doubles with each failure, up to 8 times this. */
  failureDelayMs: number;
}>;

export type AuthDeps = Readonly<{
  users: { verify: (username: string, password: string) => Promise<string | null> };
  failures: {
    recent: (keys: readonly string[]) => Promise<number>;
    record: (keys: readonly string[]) => Promise<void>;
    clear: (keys: readonly string[]) => Promise<void>;
  };
}>;

export type AuthAttempt = Readonly<{ username: string; password: string; remoteAddress: string; secure: boolean }>;
export type AuthOutcome = 'success' | 'failure' | 'throttled' | 'encryption_required' | 'error';
export type AuthDecision =
  | { outcome: 'success'; user: string }
  | {
    outcome: Exclude<AuthOutcome, 'success'>; code: number; enhancedCode: string; text: string;
    /** How long to hold the reply back (failures only). */
    delayMs: number;
    cause?: unknown;
  };

/** Delay of the reply to a failure after `previous` failures in the window: 0, 1, 2, 4, 8, 8, … times `baseMs`. */
export const failureDelayMs = (previous: number, baseMs: number): number =>
  previous <= 0 ? 0 : baseMs * 2 ** Math.min(previous - 1, 3);

/**
 * Decides one PLAIN or LOGIN attempt. Order matters: the TLS rule and the throttle are checked before the password,
 * so a refused attempt never reveals whether the password was right. A failure is recorded against the client IP
 * and the user; its reply is to be held back by `delayMs`, which grows with the failures already in the window. An infrastructure
 * failure answers 454 4.7.0 (RFC 4954 §6: temporary authentication failure) and never lets the client in.
 */
export const decideAuth = async (deps: AuthDeps, policy: AuthPolicy, attempt: AuthAttempt): Promise<AuthDecision> => {
  // RFC 4954 §4: plain-text mechanisms need an encrypted channel; 538 5.7.11 (RFC 5248). Loopback clients too:
  // a local proxy or a tunnel would otherwise carry passwords in the clear.
  if (!attempt.secure && !policy.allowInsecureAuth) {
    return { outcome: 'encryption_required', code: 538, enhancedCode: '5.7.11', text: 'Encryption required for requested authentication mechanism', delayMs: 0 };
  }
  const keys = [ipKey(attempt.remoteAddress), userKey(attempt.username)];
  try {
    const previous = await deps.failures.recent(keys);
    if (previous >= policy.maxFailures) {
      return { outcome: 'throttled', code: 454, enhancedCode: '4.7.0', text: 'Too many failed authentication attempts, try later', delayMs: 0 };
    }
    const user = await deps.users.verify(attempt.username, attempt.password);
    if (user !== null) {
      await deps.failures.clear([userKey(user)]);
      return { outcome: 'success', user };
    }
    await deps.failures.record(keys);
    return {
      outcome: 'failure', code: 535, enhancedCode: '5.7.8', text: 'Authentication credentials invalid',
      delayMs: failureDelayMs(previous, policy.failureDelayMs),
    };
  } catch (cause) {
    return { outcome: 'error', code: 454, enhancedCode: '4.7.0', text: 'Temporary authentication failure', delayMs: 0, cause };
  }
};
