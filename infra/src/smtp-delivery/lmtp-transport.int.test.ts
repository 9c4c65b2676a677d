import { afterEach, expect, it } from 'vitest';
import { startSmtpSink, type SmtpSink } from '../testing/index.js';
import { createLmtpTransport } from './lmtp-transport.js';
import type { DeliveryRequest, Transport } from './transport-types.js';

const request = (recipients: string[]): DeliveryRequest => ({
  messageId: 'm-1', attemptId: 'a-1', mailFrom: 's@origin.test', recipients, domain: 'local.test',
  body: Buffer.from('Subject: local\r\n\r\nhello\r\n'), localAddress: null,
});

const open: Array<SmtpSink | Transport> = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

it('gives each recipient its own LMTP reply after DATA', async () => {
  const sink = await startSmtpSink({
    lmtp: true,
    rcptTo: (rcpt) => (rcpt.startsWith('nobody@') ? { code: 550, enhancedCode: '5.1.1', text: 'no such mailbox' } : null),
    dataPerRecipient: (rcpt) => (rcpt.startsWith('full@') ? { code: 452, enhancedCode: '4.2.2', text: 'mailbox full' } : null),
  });
  open.push(sink);
  const transport = createLmtpTransport({ host: '127.0.0.1', port: sink.port, heloName: 'mta.local.test' });
  open.push(transport);

  const report = await transport.deliver(request(['a@local.test', 'full@local.test', 'nobody@local.test', 'b@local.test']));

  expect(report.outcomes.map((o) => [o.recipient, o.status, o.reply.code, o.reply.command])).toEqual([
    ['a@local.test', 'delivered', 250, 'DATA'],
    ['full@local.test', 'deferred', 452, 'DATA'],
    ['nobody@local.test', 'bounced', 550, 'RCPT TO'],
    ['b@local.test', 'delivered', 250, 'DATA'],
  ]);
  expect(report.outcomes[1]?.reply).toMatchObject({ enhancedCode: '4.2.2', text: 'mailbox full' });
  expect(sink.messages[0]?.rcptTo).toEqual(['a@local.test', 'full@local.test', 'b@local.test']);
});
