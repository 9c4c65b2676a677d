import { z } from 'zod';
import { parseDuration, parseRate } from './durations.js';
import { parseSize } from './size.js';

/** Values from the environment are strings; YAML gives numbers and booleans. Both are accepted. */
const show = (value: unknown): string => {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
};

const toInteger = (value: unknown): number | null => {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : null;
  if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) return Number(value);
  return null;
};

/** An integer in [min, max], from a number or a decimal string. */
export const integer = (min: number, max: number, what = `an integer from ${min} to ${max}`) =>
  z.unknown().transform((value, ctx): number => {
    const n = toInteger(value);
    if (n === null || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `must be ${what}, got ${show(value)}` });
      return z.NEVER;
    }
    return n;
  });

export const port = () => integer(1, 65535, 'a port number from 1 to 65535');
/** For listeners that can be turned off: 0 disables them. */
export const optionalPort = () => integer(0, 65535, 'a port number from 1 to 65535, or 0 to disable');

/** Sizes are stored in an int column downstream, hence the 2 GiB ceiling. */
const MAX_SIZE = 2 ** 31 - 1;
export const size = () =>
  z.unknown().transform((value, ctx): number => {
    const bytes = parseSize(value);
    if (bytes === null || bytes < 1 || bytes > MAX_SIZE) {
      ctx.addIssue({ code: 'custom', message: `must be a size from 1 byte to 2 GiB, e.g. 26214400, "25MiB", "10MB" or "512KiB", got ${show(value)}` });
      return z.NEVER;
    }
    return bytes;
  });

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);
export const boolean = () =>
  z.unknown().transform((value, ctx): boolean => {
    if (typeof value === 'boolean') return value;
    const text = typeof value === 'string' ? value.trim().toLowerCase() : '';
    if (TRUE.has(text)) return true;
    if (FALSE.has(text)) return false;
    ctx.addIssue({ code: 'custom', message: `must be true or false, got ${show(value)}` });
    return z.NEVER;
  });

/** A host name or IP address: no spaces, not empty. */
export const host = () =>
  z.string({ error: 'must be a host name or IP address' }).trim().regex(/^[^\s/]+$/, 'must be a host name or IP address');

/**
 * A URL with one of the given schemes; the value is never echoed back, since it may hold a password.
 * `parse` also requires WHATWG URL syntax (off for esdb://, whose authority may list several hosts).
 */
export const urlWithScheme = (schemes: readonly string[], parse: boolean) => {
  const message = `must be a URL starting with ${schemes.map((s) => `${s}//`).join(' or ')}`;
  return z.string({ error: (issue) => (issue.input === undefined ? `is required: a URL starting with ${schemes.map((s) => `${s}//`).join(' or ')}` : message) }).trim().refine((value) => {
    const scheme = schemes.find((s) => value.startsWith(`${s}//`));
    if (!scheme || value.length === scheme.length + 2) return false;
    if (!parse) return true;
    try {
      new URL(value);
      return true;
    } catch {
      return false;
    }
  }, message);
};

/** A duration in seconds, from seconds or a string such as `30s`, `5m`, `4h`, `5d`, within [min, max] seconds. */
export const duration = (min: number, max: number) =>
  z.unknown().transform((value, ctx): number => {
    const seconds = parseDuration(value);
    if (seconds === null || seconds < min || seconds > max) {
      ctx.addIssue({ code: 'custom', message: `must be a duration from ${min} s to ${max} s, e.g. 30, "500ms", "30s", "5m", "4h" or "5d", got ${show(value)}` });
      return z.NEVER;
    }
    return seconds;
  });

/** A rate limit such as `100/hour`. */
export const rate = () =>
  z.unknown().transform((value, ctx) => {
    const parsed = parseRate(value);
    if (parsed === null) {
      ctx.addIssue({ code: 'custom', message: `must be a rate such as "100/hour", "10/minute", "5000/day" or "2/second", got ${show(value)}` });
      return z.NEVER;
    }
    return parsed;
  });

/** A decimal number in [min, max]. */
export const decimal = (min: number, max: number) =>
  z.unknown().transform((value, ctx): number => {
    const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
    if (!Number.isFinite(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `must be a number from ${min} to ${max}, got ${show(value)}` });
      return z.NEVER;
    }
    return n;
  });
