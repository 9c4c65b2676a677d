import { Packet } from 'dns2';
import { describe, expect, it } from 'vitest';
import { answersQuery, decodeResponse, EDNS_UDP_PAYLOAD_SIZE, encodeQuery, MalformedDnsMessageError, rcodeName } from './dns-wire.js';

const responseTo = (query: Buffer, build: (response: Packet) => void): Buffer => {
  const response = Packet.createResponseFromRequest(Packet.parse(query));
  build(response);
  return response.toBuffer();
};
const rr = (fields: Record<string, unknown>) => new Packet.Resource({ class: Packet.CLASS.IN, ttl: 300, ...fields });

describe('encodeQuery', () => {
  it('asks one recursive question with our ID, and an EDNS payload size when asked to', () => {
    const query = Packet.parse(encodeQuery(0xbeef, 'example.test', 'MX', true));
    expect(query.header).toMatchObject({ id: 0xbeef, qr: 0, rd: 1, qdcount: 1 });
    expect(query.questions).toMatchObject([{ name: 'example.test', type: Packet.TYPE.MX, class: Packet.CLASS.IN }]);
    expect(query.additionals).toMatchObject([{ type: Packet.TYPE.EDNS, class: EDNS_UDP_PAYLOAD_SIZE }]);
    expect(Packet.parse(encodeQuery(1, 'example.test', 'A', false)).additionals).toEqual([]);
  });
});

describe('decodeResponse', () => {
  const query = encodeQuery(4242, 'Example.Test', 'MX', true);

  it('decodes records into plain, lower-cased values', () => {
    const decoded = decodeResponse(responseTo(query, (r) => {
      r.answers.push(
        rr({ name: 'Example.Test', type: Packet.TYPE.CNAME, ttl: 30, domain: 'Real.Test' }),
        rr({ name: 'real.test', type: Packet.TYPE.MX, exchange: 'MX.Real.Test', priority: 10 }),
        rr({ name: 'real.test', type: Packet.TYPE.MX, exchange: '', priority: 0 }),
        rr({ name: 'mx.real.test', type: Packet.TYPE.A, address: '192.0.2.1' }),
        rr({ name: 'mx.real.test', type: Packet.TYPE.AAAA, address: '2001:db8::1' }),
        rr({ name: 'real.test', type: Packet.TYPE.TXT, data: ['a', 'b'] }),
        rr({ name: 'real.test', type: Packet.TYPE.SRV, priority: 1, weight: 1, port: 25, target: 'x.test' }),
      );
      r.authorities.push(rr({ name: 'test', type: Packet.TYPE.SOA, primary: 'ns.test', admin: 'h.test', serial: 7, refresh: 1, retry: 1, expiration: 1, minimum: 60 }));
    }));
    expect(decoded).toMatchObject({ id: 4242, isResponse: true, rcode: 'NOERROR', truncated: false, question: { name: 'example.test', type: Packet.TYPE.MX } });
    expect(decoded.answers).toEqual([
      { name: 'example.test', ttl: 30, type: 'CNAME', target: 'real.test' },
      { name: 'real.test', ttl: 300, type: 'MX', exchange: 'mx.real.test', priority: 10 },
      { name: 'real.test', ttl: 300, type: 'MX', exchange: '', priority: 0 },
      { name: 'mx.real.test', ttl: 300, type: 'A', address: '192.0.2.1' },
      { name: 'mx.real.test', ttl: 300, type: 'AAAA', address: '2001:db8::1' },
      { name: 'real.test', ttl: 300, type: 'TXT', strings: ['a', 'b'] },
    ]);
    expect(decoded.authorities).toEqual([{ name: 'test', ttl: 300, type: 'SOA', primary: 'ns.test', admin: 'h.test', serial: 7, minimum: 60 }]);
  });

  it('reports the rcode and the TC bit', () => {
    const decoded = decodeResponse(responseTo(query, (r) => Object.assign(r.header, { rcode: Packet.RCODE.SERVFAIL, tc: 1 })));
    expect(decoded).toMatchObject({ rcode: 'SERVFAIL', truncated: true });
  });

  it('refuses a message it cannot frame', () => {
    expect(() => decodeResponse(Buffer.from([1, 2, 3]))).toThrow(MalformedDnsMessageError);
    const whole = responseTo(query, (r) => r.answers.push(rr({ name: 'example.test', type: Packet.TYPE.A, address: '192.0.2.1' })));
    expect(() => decodeResponse(whole.subarray(0, whole.length - 6))).toThrow(MalformedDnsMessageError);
  });
});

describe('answersQuery', () => {
  const query = encodeQuery(7, 'example.test', 'A', false);
  const response = decodeResponse(responseTo(query, () => {}));

  it('matches our ID, name (case-insensitively) and type', () => {
    expect(answersQuery(response, 7, 'EXAMPLE.test.', 'A')).toBe(true);
    expect(answersQuery(response, 8, 'example.test', 'A')).toBe(false);
    expect(answersQuery(response, 7, 'other.test', 'A')).toBe(false);
    expect(answersQuery(response, 7, 'example.test', 'AAAA')).toBe(false);
  });

  it('does not take a query for a response', () => {
    expect(answersQuery(decodeResponse(query), 7, 'example.test', 'A')).toBe(false);
  });
});

describe('rcodeName', () => {
  it('names known codes and numbers unknown ones', () => {
    expect([rcodeName(0), rcodeName(2), rcodeName(3), rcodeName(5), rcodeName(15)]).toEqual(['NOERROR', 'SERVFAIL', 'NXDOMAIN', 'REFUSED', 'RCODE15']);
  });
});
