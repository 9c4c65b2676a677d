const UNITS: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds from a number of seconds or a string such as `300`, `500ms`, `30s`, `5m`, `4h`, `5d`. Null when unreadable. */
export const parseDuration = (value: unknown): number | null => {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : null;
  if (typeof value !== 'string') return null;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(value);
  if (!match) return null;
  return Number(match[1]) * UNITS[(match[2] ?? 's').toLowerCase()]!;
};

const PERIODS: Readonly<Record<string, number>> = { second: 1, minute: 60, hour: 3600, day: 86400 };

/** A rate such as `100/hour`, `10/minute`, `5000/day`, `2/second`. Null when unreadable. */
export const parseRate = (value: unknown): { count: number; windowSeconds: number } | null => {
  if (typeof value !== 'string') return null;
  const match = /^\s*(\d+)\s*\/\s*(second|minute|hour|day)s?\s*$/i.exec(value);
  if (!match) return null;
  const count = Number(match[1]);
  return count >= 1 && Number.isSafeInteger(count) ? { count, windowSeconds: PERIODS[match[2]!.toLowerCase()]! } : null;
};
