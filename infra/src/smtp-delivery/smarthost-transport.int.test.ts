import { afterEach, expect, it } from 'vitest';
import { startSmtpSink, type SmtpSink } from '../testing/index.js';
import { createSmarthostTransport, type SmarthostTransportOptions } from './smarthost-transport.js';
import type { DeliveryRequest, Transport } from './transport-types.js';

const body = Buffer.from('Subject: via smarthost\r\n\r\nhello\r\n');
const request = (over: Partial<DeliveryRequest> = {}): DeliveryRequest => ({
  messageId: 'm-1', attemptId: 'a-1', mailFrom: 's@origin.test', recipients: ['a@anywhere.test', 'b@anywhere.test'],
  domain: 'anywhere.test', body, localAddress: null, ...over,
});

const open: Array<SmtpSink | Transport> = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

const smarthost = (sink: SmtpSink, options: Partial<SmarthostTransportOptions>): Transport => {
  const transport = createSmarthostTransport({
    host: '127.0.0.1', port: sink.port, heloName: 'out.elemta.test', connectTimeoutMs: 3_000, greetingTimeoutMs: 3_000, ...options,
  });
  open.push(transport);
  return transport;
};

const authSink = async () => {
  const sink = await startSmtpSink({ tls: { hostname: 'localhost' }, auth: { user: 'relay-user', pass: 's3cret' } });
  open.push(sink);
  return sink;
};

it('relays through the smarthost with AUTH PLAIN over verified STARTTLS', async () => {
  const sink = await authSink();
  const report = await smarthost(sink, {
    host: 'localhost', tls: 'required-verified', ca: [sink.certificate as Buffer], auth: { user: 'relay-user', pass: 's3cret' },
  }).deliver(request());

  expect(report.outcomes.map((o) => o.status)).toEqual(['delivered', 'delivered']);
  expect(report).toMatchObject({ mxHost: 'localhost', mxAddress: '127.0.0.1' });
  expect(report.tls).not.toBeNull();
  expect(sink.messages[0]).toMatchObject({ user: 'relay-user', secure: true, rcptTo: ['a@anywhere.test', 'b@anywhere.test'] });
});

it('defers (never bounces) when the smarthost refuses the credentials', async () => {
  const sink = await authSink();
  const report = await smarthost(sink, { auth: { user: 'relay-user', pass: 'wrong' } }).deliver(request());

  expect(report.outcomes[0]).toMatchObject({ status: 'deferred', reply: { code: 451, enhancedCode: '4.7.8', command: 'AUTH' } });
  expect(sink.messages).toHaveLength(0);
});
