import { describe, expect, it } from 'vitest';
import { parseDateTime } from './scalars.js';

describe('parseDateTime', () => {
  it.each([
    ['2026-11-20T09:30:00Z', '2026-11-20T09:30:00.000Z'],
    ['2026-11-20T09:30:00.123456Z', '2026-11-20T09:30:00.123Z'],
    ['2026-11-20T10:30:00+01:00', '2026-11-20T09:30:00.000Z'],
    ['2026-11-20T09:30Z', '2026-11-20T09:30:00.000Z'],
    ['2024-02-29t09:30:00z', '2024-02-29T09:30:00.000Z'],
  ])('accepts %s as %s', (input, expected) => {
    expect(parseDateTime(input)).toBe(expected);
  });

  it.each(['2026-11-20', '2026-11-20T09:30:00', '2026-02-30T00:00:00Z', '2026-11-20T24:00:00Z', 'now', '', 1732095000000, null])(
    'rejects %j',
    (input) => {
      expect(() => parseDateTime(input)).toThrow(/DateTime must be an ISO-8601 date-time with a time zone/);
    },
  );
});
