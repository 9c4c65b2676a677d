import { describe, expect, it } from 'vitest';
import { describeServer, parseNameServer } from './dns-transport.js';

describe('parseNameServer', () => {
  it.each([
    ['192.0.2.53', { host: '192.0.2.53', port: 53, family: 4 }],
    ['127.0.0.1:5353', { host: '127.0.0.1', port: 5353, family: 4 }],
    ['2001:db8::53', { host: '2001:db8::53', port: 53, family: 6 }],
    ['[::1]:5353', { host: '::1', port: 5353, family: 6 }],
    ['[::1]', { host: '::1', port: 53, family: 6 }],
  ])('reads %j', (entry, expected) => expect(parseNameServer(entry)).toEqual(expected));

  it.each(['', 'dns.example', '127.0.0.1:0', '127.0.0.1:70000', '127.0.0.1:x', '[::1]:'])('rejects %j', (entry) => {
    expect(() => parseNameServer(entry)).toThrow('invalid name server');
  });

  it('prints a server the way it was given', () => {
    expect(describeServer(parseNameServer('[::1]:5353'))).toBe('[::1]:5353');
    expect(describeServer(parseNameServer('127.0.0.1'))).toBe('127.0.0.1:53');
  });
});
