import type { SmtpReply } from '@elemta/domain';
import { outcomesWithReply } from './smtp-outcome.js';
import type { Transport } from './transport-types.js';

const CAPTURED: SmtpReply = { code: 250, enhancedCode: '2.0.0', text: 'captured, not sent (delivery mode capture)', command: 'CAPTURE' };

/** Development mode: nothing leaves; every recipient counts as delivered (the message stays viewable in the dashboard). */
export const createCaptureTransport = (): Transport => ({
  kind: 'capture',
  deliver: async (request) => ({
    outcomes: outcomesWithReply(request.recipients, CAPTURED),
    mxHost: null, mxAddress: null, localAddress: null, tls: null, durationMs: 0,
  }),
  close: async () => {},
});
