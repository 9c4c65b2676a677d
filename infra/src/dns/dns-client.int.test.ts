import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDnsServer, type TestDnsServer } from '../testing/dns-test-server.js';
import { DnsClient } from './dns-client.js';
import { parseNameServer } from './dns-transport.js';
import { DnsTemporaryError } from './dns-types.js';

const longValue = `v=DKIM1; k=rsa; p=${'A'.repeat(3000)}`;
let dns: TestDnsServer;
beforeAll(async () => {
  dns = await startTestDnsServer({
    'big.test': { TXT: [longValue, 'second'] },
    'small.test': { TXT: ['v=spf1 -all'], PTR: ['host.small.test'] },
    'down.test': 'SERVFAIL',
  });
});
afterAll(() => dns.close());

const client = (servers = [dns.address]) => new DnsClient({ servers: servers.map(parseNameServer), timeoutMs: 300, tries: 1 });

describe('DnsClient against a real server', () => {
  it('answers over UDP when the answer fits', async () => {
    const response = await client().query('small.test', 'TXT');
    expect(response.answers).toEqual([{ name: 'small.test', ttl: 300, type: 'TXT', strings: ['v=spf1 -all'] }]);
    expect(dns.queries.filter((q) => q.name === 'small.test').map((q) => q.transport)).toEqual(['udp']);
  });

  it('retries over TCP when the UDP answer is truncated, and keeps TXT character-strings apart', async () => {
    dns.clearQueries();
    const response = await client().query('big.test', 'TXT');
    const [big, second] = response.answers;
    expect(big?.type === 'TXT' && big.strings.join('')).toBe(longValue);
    expect(big?.type === 'TXT' && big.strings.every((s) => Buffer.byteLength(s) <= 255)).toBe(true);
    expect(second).toMatchObject({ type: 'TXT', strings: ['second'] });
    expect(dns.queries.map((q) => q.transport)).toEqual(['udp', 'tcp']);
  });

  it('returns NXDOMAIN as an answer, with the SOA for negative caching', async () => {
    const response = await client().query('nothing.small.test', 'A');
    expect(response.rcode).toBe('NXDOMAIN');
    expect(response.authorities).toMatchObject([{ type: 'SOA', name: 'small.test', minimum: 60 }]);
  });

  it('moves on to the next server after SERVFAIL', async () => {
    const other = await startTestDnsServer({ 'down.test': { A: ['192.0.2.1'] } });
    try {
      const response = await client([dns.address, other.address]).query('down.test', 'A');
      expect(response.answers).toMatchObject([{ type: 'A', address: '192.0.2.1' }]);
      await expect(client([dns.address]).query('down.test', 'A')).rejects.toMatchObject({ rcode: 'SERVFAIL' });
    } finally {
      await other.close();
    }
  });
});

describe('DnsClient against a misbehaving peer', () => {
  it('ignores replies with the wrong ID or question and takes the real one', async () => {
    const peer = createSocket('udp4');
    peer.bind(0, '127.0.0.1');
    await once(peer, 'listening');
    peer.on('message', (query: Buffer, from) => {
      const reply = (mutate: (b: Buffer) => void) => {
        const b = Buffer.from(query);
        b[2] = 0x81; b[3] = 0x80; // QR, RD, RA, NOERROR; no answers
        mutate(b);
        peer.send(b, from.port, from.address);
      };
      reply((b) => b.writeUInt16BE((b.readUInt16BE(0) + 1) & 0xffff, 0)); // wrong ID
      reply((b) => { b[13] = 'x'.charCodeAt(0); }); // another name in the question
      reply(() => {}); // the real answer
    });
    try {
      const { port } = peer.address();
      const response = await client([`127.0.0.1:${port}`]).query('id.test', 'A');
      expect(response).toMatchObject({ rcode: 'NOERROR', question: { name: 'id.test' }, answers: [] });
    } finally {
      peer.close();
    }
  });

  it('times out when only forged replies arrive', async () => {
    const peer = createSocket('udp4');
    peer.bind(0, '127.0.0.1');
    await once(peer, 'listening');
    peer.on('message', (query: Buffer, from) => {
      const b = Buffer.from(query);
      b[2] = 0x81; b[3] = 0x80;
      b.writeUInt16BE((b.readUInt16BE(0) + 1) & 0xffff, 0);
      peer.send(b, from.port, from.address);
    });
    try {
      const error = await client([`127.0.0.1:${peer.address().port}`]).query('id.test', 'A').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DnsTemporaryError);
      expect(error).toMatchObject({ rcode: 'TIMEOUT' });
    } finally {
      peer.close();
    }
  });
});
