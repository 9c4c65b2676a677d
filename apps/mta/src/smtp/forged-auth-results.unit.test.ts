import { describe, expect, it } from 'vitest';
import { withoutForgedAuthResults } from './forged-auth-results.js';

const strip = (message: string) => withoutForgedAuthResults(Buffer.from(message, 'latin1'), 'MX.Elemta.test').toString('latin1');

describe('withoutForgedAuthResults', () => {
  it('removes fields with our authserv-id, folded ones whole, and keeps everyone else\'s', () => {
    const message = [
      'Received: from client by mx.elemta.test',
      'Authentication-Results: mx.elemta.test;',
      '\tspf=pass smtp.mailfrom=forged.example;',
      '\tdkim=pass header.d=forged.example',
      'authentication-results: other.example; spf=fail',
      'AUTHENTICATION-RESULTS: mx.elemta.test; dmarc=pass',
      'Subject: hi \xe9',
      '',
      'Authentication-Results: mx.elemta.test; in the body stays',
      '',
    ].join('\r\n');
    expect(strip(message)).toBe([
      'Received: from client by mx.elemta.test',
      'authentication-results: other.example; spf=fail',
      'Subject: hi \xe9',
      '',
      'Authentication-Results: mx.elemta.test; in the body stays',
      '',
    ].join('\r\n'));
  });

  it('returns the very same buffer when there is nothing to remove', () => {
    const message = Buffer.from('Authentication-Results: other.example; none\r\nSubject: x\r\n\r\nbody\r\n');
    expect(withoutForgedAuthResults(message, 'mx.elemta.test')).toBe(message);
  });

  it('handles a message without a body and bare LF line ends', () => {
    expect(strip('Subject: x\nAuthentication-Results: mx.elemta.test; spf=pass')).toBe('Subject: x');
  });
});
