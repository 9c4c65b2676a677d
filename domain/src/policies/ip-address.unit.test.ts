import { describe, expect, it } from 'vitest';
import { formatIpAddress, ipNetwork, maskIpAddress, parseIpAddress, type IpAddress } from './ip-address.js';

const ip = (text: string): IpAddress => {
  const parsed = parseIpAddress(text);
  if (!parsed) throw new Error(`not an address: ${text}`);
  return parsed;
};

describe('parseIpAddress', () => {
  it('reads an IPv4 address', () => expect(parseIpAddress('192.0.2.10')).toEqual({ family: 4, bytes: [192, 0, 2, 10] }));

  it('reads IPv6 addresses in full, compressed and mixed form', () => {
    const expected = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    expect(ip('2001:db8:0:0:0:0:0:1').bytes).toEqual(expected);
    expect(ip('2001:DB8::1').bytes).toEqual(expected);
    expect(ip('::').bytes).toEqual(Array(16).fill(0));
    expect(ip('64:ff9b::192.0.2.1').bytes.slice(12)).toEqual([192, 0, 2, 1]);
  });

  it('reads an IPv4-mapped IPv6 address as the IPv4 address it is', () =>
    expect(parseIpAddress('::ffff:192.0.2.1')).toEqual({ family: 4, bytes: [192, 0, 2, 1] }));

  it.each(['', 'example.org', '256.1.1.1', '1.2.3', '01.2.3.4', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'fe80::1%eth0', '1:2:3:4:5:6:7::8'])(
    'refuses %j', (text) => expect(parseIpAddress(text)).toBeNull());
});

describe('formatIpAddress', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'], ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'], ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], ['2001:db8:1:1:1:1:0:1', '2001:db8:1:1:1:1:0:1'], ['::1', '::1'], ['1::', '1::'],
  ])('writes %s as %s (RFC 5952)', (text, canonical) => expect(formatIpAddress(ip(text))).toBe(canonical));
});

describe('ipNetwork', () => {
  const prefixes = { ipv4: 24, ipv6: 64 };

  it('gives the /24 of an IPv4 address', () => expect(ipNetwork(ip('192.0.2.77'), prefixes)).toBe('192.0.2.0/24'));

  it('gives the /64 of an IPv6 address', () => expect(ipNetwork(ip('2001:db8:1:2:3:4:5:6'), prefixes)).toBe('2001:db8:1:2::/64'));

  it('keeps a mapped IPv4 client in its IPv4 network', () => expect(ipNetwork(ip('::ffff:198.51.100.9'), prefixes)).toBe('198.51.100.0/24'));

  it('masks prefixes that are not byte-aligned', () => {
    expect(formatIpAddress(maskIpAddress(ip('192.0.2.255'), 27))).toBe('192.0.2.224');
    expect(ipNetwork(ip('10.1.2.3'), { ipv4: 32, ipv6: 128 })).toBe('10.1.2.3/32');
    expect(ipNetwork(ip('10.1.2.3'), { ipv4: 0, ipv6: 0 })).toBe('0.0.0.0/0');
  });
});
