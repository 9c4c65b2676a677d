import { describe, expect, it } from 'vitest';
import { arcSealContext, authservIdOf, headerFieldsOf } from './sign-arc-context.js';

const message = (...headers: string[]) => Buffer.from(`${headers.join('\r\n')}\r\n\r\nBody: not a header\r\n`);
const OURS = 'Authentication-Results: mx.elemta.test;\r\n\tspf=pass smtp.mailfrom=a@sender.test;\r\n\tdkim=none';
const seal = (i: number, cv: string) => `ARC-Seal: i=${i}; a=rsa-sha256; t=1; cv=${cv}; d=hop${i}.test; s=s; b=abc`;
const ams = (i: number) => `ARC-Message-Signature: i=${i}; a=rsa-sha256; c=relaxed/relaxed; d=hop${i}.test; s=s; h=from; bh=x; b=y`;
const aar = (i: number) => `ARC-Authentication-Results: i=${i}; hop${i}.test; spf=pass`;
const set = (i: number, cv: string) => [seal(i, cv), ams(i), aar(i)];

describe('arcSealContext', () => {
  it('seals with cv=none and instance 1 when our Authentication-Results is on top and there is no chain', () => {
    expect(arcSealContext(message(OURS, 'Received: from x', 'From: a@sender.test'), 'MX.elemta.test')).toEqual({
      seal: true, cv: 'none', instance: 1, authResults: 'mx.elemta.test;\r\n\tspf=pass smtp.mailfrom=a@sender.test;\r\n\tdkim=none',
    });
  });

  it('continues a chain we verified: our arc= verdict becomes cv, the instance follows the last set', () => {
    const ar = 'Authentication-Results: mx.elemta.test; arc=pass (i=2); spf=pass';
    expect(arcSealContext(message(ar, ...set(2, 'pass'), ...set(1, 'none')), 'mx.elemta.test'))
      .toMatchObject({ seal: true, cv: 'pass', instance: 3 });
    const failed = 'Authentication-Results: mx.elemta.test; arc=fail (i=1 seal signature validation failed)';
    expect(arcSealContext(message(failed, ...set(1, 'none')), 'mx.elemta.test')).toMatchObject({ seal: true, cv: 'fail', instance: 2 });
  });

  it('does not seal without our Authentication-Results on top', () => {
    expect(arcSealContext(message('From: a@sender.test'), 'mx.elemta.test')).toEqual({ seal: false, reason: 'no Authentication-Results header' });
    expect(arcSealContext(message('Authentication-Results: mx.other.test; spf=pass', OURS), 'mx.elemta.test'))
      .toEqual({ seal: false, reason: 'the topmost Authentication-Results is not ours' });
  });

  it('does not seal a chain it did not verify, one that already failed, or one at 50 sets', () => {
    expect(arcSealContext(message(OURS, ...set(1, 'none')), 'mx.elemta.test'))
      .toEqual({ seal: false, reason: 'the message carries an ARC chain we did not verify' });
    expect(arcSealContext(message('Authentication-Results: mx.elemta.test; arc=fail', ...set(2, 'fail'), ...set(1, 'none')), 'mx.elemta.test'))
      .toEqual({ seal: false, reason: 'the ARC chain already failed' });
    expect(arcSealContext(message('Authentication-Results: mx.elemta.test; arc=pass', ...set(50, 'pass')), 'mx.elemta.test'))
      .toEqual({ seal: false, reason: 'the ARC chain already has 50 sets' });
  });

  it('reads only the header section', () => {
    expect(headerFieldsOf(message('Subject: hi')).map((f) => f.name)).toEqual(['subject']);
  });
});

describe('authservIdOf', () => {
  it('takes the authserv-id without its version or comments (RFC 8601 §2.2)', () => {
    expect(authservIdOf('MX.Example.ORG 1; spf=pass')).toBe('mx.example.org');
    expect(authservIdOf(' (ours) mx.example.org; none')).toBe('mx.example.org');
  });
});
