import { describe, expect, it } from 'vitest';
import { InvalidDomainError, normalizeDomainName } from './domain-name.js';

describe('normalizeDomainName', () => {
  it.each([
    ['Example.COM', 'example.com'],
    ['example.com.', 'example.com'],
    ['3com.example', '3com.example'],
    ['a-b.example', 'a-b.example'],
    ['bücher.example', 'xn--bcher-kva.example'],
    [`${'a'.repeat(63)}.example`, `${'a'.repeat(63)}.example`],
  ])('turns %j into %j', (input, expected) => expect(normalizeDomainName(input)).toBe(expected));

  it.each(['', '.', '..', 'a..b', '.a', 'a.b..', `${'a'.repeat(64)}.example`, `${'abcd.'.repeat(51)}ab`, '-a.example', 'a-.example',
    'a b.example', 'a_b.example', '[192.0.2.1]', 'user@example.com'])('rejects %j', (input) => {
    expect(() => normalizeDomainName(input)).toThrow(InvalidDomainError);
  });

  it('says which name is wrong and why', () => {
    expect(() => normalizeDomainName('a..b')).toThrow('invalid domain name "a..b": empty label');
  });
});
