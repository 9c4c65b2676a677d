import { describe, expect, it } from 'vitest';
import type { DnsRecord, DnsResponse } from './dns-wire.js';
import { interpretResponse } from './rrset-answer.js';

const response = (rcode: string, answers: DnsRecord[], authorities: DnsRecord[] = []): DnsResponse =>
  ({ id: 1, isResponse: true, rcode, truncated: false, question: null, answers, authorities });
const soa = (ttl: number, minimum: number): DnsRecord =>
  ({ name: 'example.test', ttl, type: 'SOA', primary: 'ns.example.test', admin: 'h.example.test', serial: 1, minimum });
const mx = (name: string, ttl: number): DnsRecord => ({ name, ttl, type: 'MX', exchange: `mx.${name}`, priority: 10 });
const cname = (name: string, target: string, ttl: number): DnsRecord => ({ name, ttl, type: 'CNAME', target });

describe('interpretResponse', () => {
  it('returns the records of the asked name and type with their smallest TTL', () => {
    const result = interpretResponse(response('NOERROR', [mx('a.test', 300), mx('a.test', 100), mx('other.test', 5)]), 'a.test', 'MX', 999);
    expect(result).toEqual({ kind: 'answer', ttlSeconds: 100, answer: { kind: 'records', canonicalName: 'a.test', records: [mx('a.test', 300), mx('a.test', 100)] } });
  });

  it('follows CNAMEs inside the answer, taking the smallest TTL on the way', () => {
    const result = interpretResponse(response('NOERROR', [cname('a.test', 'b.test', 50), cname('b.test', 'c.test', 400), mx('c.test', 300)]), 'a.test', 'MX', 999);
    expect(result).toMatchObject({ kind: 'answer', ttlSeconds: 50, answer: { kind: 'records', canonicalName: 'c.test' } });
  });

  it('caches NODATA for min(SOA TTL, SOA MINIMUM), RFC 2308 §5', () => {
    expect(interpretResponse(response('NOERROR', [], [soa(3600, 60)]), 'a.test', 'MX', 999))
      .toEqual({ kind: 'answer', ttlSeconds: 60, answer: { kind: 'nodata', canonicalName: 'a.test' } });
    expect(interpretResponse(response('NOERROR', [], [soa(20, 60)]), 'a.test', 'MX', 999)).toMatchObject({ ttlSeconds: 20 });
  });

  it('caches NXDOMAIN, with the default TTL when there is no SOA', () => {
    expect(interpretResponse(response('NXDOMAIN', []), 'a.test', 'MX', 999)).toEqual({ kind: 'answer', ttlSeconds: 999, answer: { kind: 'nxdomain' } });
    expect(interpretResponse(response('NXDOMAIN', [cname('a.test', 'gone.test', 10)], [soa(60, 60)]), 'a.test', 'MX', 999))
      .toEqual({ kind: 'answer', ttlSeconds: 10, answer: { kind: 'nxdomain' } });
  });

  it('asks for a CNAME target the answer left out', () => {
    expect(interpretResponse(response('NOERROR', [cname('a.test', 'elsewhere.test', 30)]), 'a.test', 'MX', 999))
      .toEqual({ kind: 'follow', target: 'elsewhere.test', ttlSeconds: 30 });
  });

  it('treats a chain to its own NODATA target as NODATA of the target', () => {
    expect(interpretResponse(response('NOERROR', [cname('a.test', 'b.test', 30)], [soa(60, 60)]), 'a.test', 'MX', 999))
      .toEqual({ kind: 'answer', ttlSeconds: 30, answer: { kind: 'nodata', canonicalName: 'b.test' } });
  });

  it('stops at a CNAME loop', () => {
    const result = interpretResponse(response('NOERROR', [cname('a.test', 'b.test', 30), cname('b.test', 'a.test', 30)], [soa(60, 60)]), 'a.test', 'MX', 999);
    expect(result).toMatchObject({ kind: 'answer', answer: { kind: 'nodata' } });
  });

  it('returns the CNAME itself when CNAME is asked for', () => {
    expect(interpretResponse(response('NOERROR', [cname('a.test', 'b.test', 30)]), 'a.test', 'CNAME', 999))
      .toMatchObject({ kind: 'answer', answer: { kind: 'records', records: [{ target: 'b.test' }] } });
  });
});
