import { describe, expect, it } from 'vitest';
import { classifyDnsblAnswer, dnsblQueryName, dnsblReason, dnsblReplyText } from './dnsbl.js';
import { parseIpAddress } from './ip-address.js';

const ip = (text: string) => parseIpAddress(text)!;

describe('DNSBL query name', () => {
  it('reverses the octets of an IPv4 address', () =>
    expect(dnsblQueryName(ip('192.0.2.10'), 'zen.example')).toBe('10.2.0.192.zen.example'));

  it('reverses the nibbles of an IPv6 address', () =>
    expect(dnsblQueryName(ip('2001:db8::1'), 'zen.example.'))
      .toBe('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.example'));

  it('queries a mapped IPv4 client by its IPv4 address', () =>
    expect(dnsblQueryName(ip('::ffff:198.51.100.7'), 'bl.example')).toBe('7.100.51.198.bl.example'));
});

describe('DNSBL answer', () => {
  it('is a listing for a 127.0.0.x code', () =>
    expect(classifyDnsblAnswer(['127.0.0.2'], null)).toEqual({ listed: true, codes: ['127.0.0.2'] }));

  it('is a listing only for the chosen codes when returnCodes is given', () => {
    expect(classifyDnsblAnswer(['127.0.0.10', '127.0.0.11'], ['127.0.0.2', '127.0.0.3'])).toEqual({ listed: false, errorCodes: [] });
    expect(classifyDnsblAnswer(['127.0.0.10', '127.0.0.3'], ['127.0.0.2', '127.0.0.3'])).toEqual({ listed: true, codes: ['127.0.0.3'] });
  });

  it('is no listing but an error for answers outside 127/8, for 127.0.0.1 and for 127.255.255.x', () =>
    expect(classifyDnsblAnswer(['203.0.113.5', '127.0.0.1', '127.255.255.254'], null))
      .toEqual({ listed: false, errorCodes: ['203.0.113.5', '127.0.0.1', '127.255.255.254'] }));
});

describe('DNSBL reason and reply', () => {
  it('joins the TXT strings into one printable line', () =>
    expect(dnsblReason([['Listed: see ', 'https://bl.example/q?192.0.2.10'], ['\r\nsecond\trecord']]))
      .toBe('Listed: see https://bl.example/q?192.0.2.10 second record'));

  it('shortens a long reason and gives null for an empty one', () => {
    expect(dnsblReason([['x'.repeat(300)]], 50)).toHaveLength(50);
    expect(dnsblReason([[' \u0000 ']])).toBeNull();
  });

  it('names the client and the zone, like Postfix', () => {
    expect(dnsblReplyText('192.0.2.10', 'zen.example', 'spam source', false))
      .toBe('Service unavailable; client [192.0.2.10] blocked using zen.example; spam source');
    expect(dnsblReplyText('192.0.2.10', 'zen.example', null, true))
      .toBe('Service temporarily unavailable; client [192.0.2.10] blocked using zen.example');
  });
});
