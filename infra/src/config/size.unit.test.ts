import { describe, expect, it } from 'vitest';
import { parseSize } from './size.js';

describe('parseSize', () => {
  it.each([
    [26214400, 26214400],
    ['26214400', 26214400],
    ['25MiB', 26214400],
    ['10MB', 10_000_000],
    ['512KiB', 524288],
    ['512 kib', 524288],
    ['1GiB', 1073741824],
    ['1.5KiB', 1536],
    ['100B', 100],
  ])('reads %j as %d bytes', (input, bytes) => expect(parseSize(input)).toBe(bytes));

  it.each([['25 parsecs'], ['MiB'], ['-1'], [''], ['1.3B'], [1.5], [true], [null]])('refuses %j', (input) =>
    expect(parseSize(input)).toBeNull());
});
