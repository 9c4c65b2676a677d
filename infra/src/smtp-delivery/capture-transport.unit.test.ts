import { expect, it } from 'vitest';
import { createCaptureTransport } from './capture-transport.js';

it('delivers nothing and reports every recipient as captured', async () => {
  const report = await createCaptureTransport().deliver({
    messageId: 'm-1', attemptId: 'a-1', mailFrom: '', recipients: ['a@x.test', 'b@x.test'], domain: 'x.test',
    body: Buffer.from('hi\r\n'), localAddress: null,
  });

  expect(report.outcomes).toEqual(['a@x.test', 'b@x.test'].map((recipient) => ({
    recipient, status: 'delivered',
    reply: { code: 250, enhancedCode: '2.0.0', text: 'captured, not sent (delivery mode capture)', command: 'CAPTURE' },
  })));
  expect(report.mxHost).toBeNull();
});
