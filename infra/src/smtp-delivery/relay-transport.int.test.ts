import { afterEach, describe, expect, it } from 'vitest';
import { DnsTemporaryError, type Destination, type MailResolver } from '../dns/dns-types.js';
import { failFirst, freePort, startSmtpSink, type SmtpSink, type SmtpSinkOptions } from '../testing/index.js';
import { InvalidDomainError } from '../dns/domain-name.js';
import { createMailResolver } from '../dns/index.js';
import { createRelayTransport, type RelayTransportOptions } from './relay-transport.js';
import type { DeliveryRequest, Transport } from './transport-types.js';

/** Our own port, so an in-memory implementation is allowed (STYLE §11); real DNS is covered end to end elsewhere. */
const fixedResolver = (answers: Record<string, Destination | Error>): MailResolver => ({
  resolveDestination: async (domain) => {
    const answer = answers[domain] ?? { kind: 'noSuchDomain' };
    if (answer instanceof Error) throw answer;
    return answer;
  },
  lookup: async () => { throw new Error('not used by the relay transport'); },
  close: async () => {},
});

const mx = (...hosts: Array<[exchange: string, address: string]>): Destination => ({
  kind: 'exchangers', implicit: false,
  exchangers: hosts.map(([exchange, address], i) => ({ exchange, priority: 10 * (i + 1), addresses: [address] })),
});

const body = Buffer.from('From: s@origin.test\r\nTo: a@example.test\r\nSubject: hi\r\n\r\nhello\r\n.leading dot\r\n');
const request = (over: Partial<DeliveryRequest> = {}): DeliveryRequest => ({
  messageId: 'm-1', attemptId: 'a-1', mailFrom: 's@origin.test', recipients: ['a@example.test'], domain: 'example.test',
  body, localAddress: null, ...over,
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const sink = async (options: SmtpSinkOptions = {}): Promise<SmtpSink> => {
  const started = await startSmtpSink(options);
  cleanups.push(() => started.close());
  return started;
};

const relay = (options: Omit<RelayTransportOptions, 'heloName' | 'resolver'> & { resolver?: MailResolver; mxAt?: SmtpSink }): Transport => {
  const resolver = options.resolver ?? fixedResolver({ 'example.test': mx(['mx.example.test', options.mxAt?.host ?? '127.0.0.1']) });
  const transport = createRelayTransport({
    heloName: 'out.elemta.test', connectTimeoutMs: 3_000, greetingTimeoutMs: 3_000, socketTimeoutMs: 5_000,
    ...options, port: options.port ?? options.mxAt?.port, resolver,
  });
  cleanups.push(() => transport.close());
  return transport;
};

describe('relay transport', () => {
  it('delivers three recipients of one domain in one transaction', async () => {
    const mxSink = await sink();
    const report = await relay({ mxAt: mxSink }).deliver(request({ recipients: ['a@example.test', 'b@example.test', 'c@example.test'] }));

    expect(report.outcomes.map((o) => o.status)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(report.outcomes[0]?.reply).toMatchObject({ code: 250, enhancedCode: '2.0.0', command: 'DATA' });
    expect(report).toMatchObject({ mxHost: 'mx.example.test', mxAddress: '127.0.0.1', tls: null });
    expect(mxSink.messages).toHaveLength(1);
    expect(mxSink.messages[0]).toMatchObject({ mailFrom: 's@origin.test', rcptTo: ['a@example.test', 'b@example.test', 'c@example.test'] });
    expect(mxSink.messages[0]?.body.equals(body)).toBe(true);
  });

  it('reuses pooled connections for later messages', async () => {
    const mxSink = await sink();
    const transport = relay({ mxAt: mxSink });
    for (let i = 0; i < 4; i++) await transport.deliver(request({ messageId: `m-${i}` }));
    await Promise.all([1, 2, 3].map((i) => transport.deliver(request({ messageId: `p-${i}` }))));

    expect(mxSink.messages).toHaveLength(7);
    expect(mxSink.sessions.length).toBeLessThanOrEqual(3);
  });

  it('bounces the one recipient refused at RCPT and delivers the other two', async () => {
    const mxSink = await sink({ rcptTo: (rcpt) => (rcpt.startsWith('b@') ? { code: 550, enhancedCode: '5.1.1', text: 'no such user' } : null) });
    const report = await relay({ mxAt: mxSink }).deliver(request({ recipients: ['a@example.test', 'b@example.test', 'c@example.test'] }));

    expect(report.outcomes.map((o) => [o.recipient, o.status])).toEqual([
      ['a@example.test', 'delivered'], ['b@example.test', 'bounced'], ['c@example.test', 'delivered'],
    ]);
    expect(report.outcomes[1]?.reply).toEqual({ code: 550, enhancedCode: '5.1.1', text: 'no such user', command: 'RCPT TO' });
    expect(mxSink.messages[0]?.rcptTo).toEqual(['a@example.test', 'c@example.test']);
  });

  it('defers on 451 with the reply text, and delivers once the peer accepts', async () => {
    const mxSink = await sink({ rcptTo: failFirst(1, { code: 451, enhancedCode: '4.7.1', text: 'greylisted, come back later' }) });
    const transport = relay({ mxAt: mxSink });

    const first = await transport.deliver(request());
    expect(first.outcomes[0]).toMatchObject({
      status: 'deferred', reply: { code: 451, enhancedCode: '4.7.1', text: 'greylisted, come back later', command: 'RCPT TO' },
    });
    expect((await transport.deliver(request())).outcomes[0]?.status).toBe('delivered');
    expect(mxSink.sessions).toHaveLength(1); // RSET kept the session usable
  });

  it('bounces every recipient on 550 to DATA', async () => {
    const mxSink = await sink({ data: () => ({ code: 550, enhancedCode: '5.7.1', text: 'message refused' }) });
    const report = await relay({ mxAt: mxSink }).deliver(request({ recipients: ['a@example.test', 'b@example.test'] }));

    expect(report.outcomes.map((o) => o.status)).toEqual(['bounced', 'bounced']);
    expect(report.outcomes[0]?.reply).toEqual({ code: 550, enhancedCode: '5.7.1', text: 'message refused', command: 'DATA' });
  });

  it('defers with 4.4.2 when the connection drops during DATA', async () => {
    const mxSink = await sink({ dropDuringDataAfterBytes: 1 });
    const report = await relay({ mxAt: mxSink }).deliver(request({ body: Buffer.alloc(256 * 1024, 'x') }));

    expect(report.outcomes[0]).toMatchObject({ status: 'deferred', reply: { code: 451, enhancedCode: '4.4.2', command: 'DATA' } });
    expect(mxSink.messages).toHaveLength(0);
  });

  it('falls back to the next MX when the first refuses the connection', async () => {
    const port = await freePort();
    const backup = await sink({ host: '127.0.0.3', port });
    const resolver = fixedResolver({ 'example.test': mx(['mx1.example.test', '127.0.0.2'], ['mx2.example.test', '127.0.0.3']) });
    const report = await relay({ resolver, port }).deliver(request());

    expect(report.outcomes[0]?.status).toBe('delivered');
    expect(report).toMatchObject({ mxHost: 'mx2.example.test', mxAddress: '127.0.0.3' });
    expect(backup.messages).toHaveLength(1);
  });

  it('defers with 4.4.1 when no MX can be reached', async () => {
    const port = await freePort();
    const resolver = fixedResolver({ 'example.test': mx(['mx1.example.test', '127.0.0.2'], ['mx2.example.test', '127.0.0.4']) });
    const report = await relay({ resolver, port }).deliver(request());

    expect(report.outcomes[0]).toMatchObject({
      status: 'deferred', reply: { code: 451, enhancedCode: '4.4.1', text: `connection refused by mx2.example.test[127.0.0.4]:${port}`, command: 'CONNECT' },
    });
    expect(report.mxHost).toBeNull();
  });

  it.each([
    ['null MX', { kind: 'nullMx' } as Destination, 'bounced', 556, '5.1.10'],
    ['NXDOMAIN', { kind: 'noSuchDomain' } as Destination, 'bounced', 550, '5.1.2'],
    ['no mail host', { kind: 'noMailHost' } as Destination, 'bounced', 550, '5.1.2'],
    ['a temporary DNS failure', new DnsTemporaryError('SERVFAIL from 127.0.0.1', 'SERVFAIL'), 'deferred', 451, '4.4.3'],
    ['a domain the resolver refuses as invalid', new InvalidDomainError('example.test', 'test'), 'bounced', 553, '5.1.3'],
  ])('answers %s without connecting', async (_name, answer, status, code, enhancedCode) => {
    const report = await relay({ resolver: fixedResolver({ 'example.test': answer }), port: 9 })
      .deliver(request({ recipients: ['a@example.test', 'b@example.test'] }));

    expect(report.outcomes.map((o) => o.status)).toEqual([status, status]);
    expect(report.outcomes[0]?.reply).toMatchObject({ code, enhancedCode, command: 'DNS' });
    expect(report.mxHost).toBeNull();
  });

  it('bounces an address without a domain with a clear reason, through the real resolver, without a query', async () => {
    const report = await relay({ resolver: createMailResolver({ servers: ['127.0.0.1:9'], timeoutMs: 200 }), port: 9 })
      .deliver(request({ recipients: ['postmaster'], domain: '' }));
    expect(report.outcomes).toEqual([{
      recipient: 'postmaster', status: 'bounced', reply: { code: 553, enhancedCode: '5.1.3', text: 'recipient address has no domain', command: 'DNS' },
    }]);
  });

  it('upgrades with STARTTLS opportunistically against a self-signed certificate and reports the TLS session', async () => {
    const mxSink = await sink({ tls: {}, requireTls: true });
    const report = await relay({ mxAt: mxSink }).deliver(request());

    expect(report.outcomes[0]?.status).toBe('delivered');
    expect(report.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(report.tls?.cipher).toBeTruthy();
    expect(mxSink.messages[0]?.secure).toBe(true);
  });

  it('verifies the certificate against the MX name with the given CA in required-verified mode', async () => {
    const mxSink = await sink({ tls: { hostname: 'mx.example.test' } });
    const report = await relay({ mxAt: mxSink, tls: 'required-verified', ca: [mxSink.certificate as Buffer] }).deliver(request());

    expect(report.outcomes[0]?.status).toBe('delivered');
    expect(report.tls).not.toBeNull();
  });

  it('defers with 4.7.5 in required-verified mode when the certificate cannot be verified', async () => {
    const mxSink = await sink({ tls: { hostname: 'mx.example.test' } });
    const report = await relay({ mxAt: mxSink, tls: 'required-verified' }).deliver(request());

    expect(report.outcomes[0]).toMatchObject({ status: 'deferred', reply: { code: 451, enhancedCode: '4.7.5', command: 'STARTTLS' } });
    expect(mxSink.messages).toHaveLength(0);
  });

  it('defers with 4.7.4 in required-verified mode when the MX offers no STARTTLS', async () => {
    const mxSink = await sink();
    const report = await relay({ mxAt: mxSink, tls: 'required-verified' }).deliver(request());

    expect(report.outcomes[0]).toMatchObject({ status: 'deferred', reply: { enhancedCode: '4.7.4', command: 'STARTTLS' } });
  });

  it('binds the requested local address', async () => {
    const mxSink = await sink();
    const report = await relay({ mxAt: mxSink }).deliver(request({ localAddress: '127.0.0.5' }));

    expect(report.outcomes[0]?.status).toBe('delivered');
    expect(report.localAddress).toBe('127.0.0.5');
    expect(mxSink.messages[0]?.remoteAddress).toBe('127.0.0.5');
  });
});
