import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { dkimKeyRecord, dkimSignTestMessage, generateDkimKey, type DkimTestKey } from '../testing/mail-auth-zones.js';
import { mailauth, mailauthCachesActive } from './mailauth-library.js';

// mailauth's header/body split with header-end-scan.ts in place: wherever the chunks of a message break, even
// inside the blank line, DKIM sees the same header section and the same body (the body hash would fail otherwise).
let key: DkimTestKey;
const resolver = async (name: string) => {
  if (name === 'sel._domainkey.split.test') return [[dkimKeyRecord(key)]];
  throw Object.assign(new Error(`no record for ${name}`), { code: 'ENOTFOUND' });
};

const verify = async (input: Buffer | Readable) => {
  const { results } = await mailauth.dkimVerify(input, { resolver: resolver as never, sender: 'ann@split.test' });
  return results.map((r) => [r.signingDomain, r.status.result, r.status.comment ?? null]);
};

const chunked = (raw: Buffer, sizes: readonly number[]) => {
  const parts: Buffer[] = [];
  let at = 0;
  for (let i = 0; at < raw.length; i++) {
    const size = sizes[i % sizes.length] as number;
    parts.push(raw.subarray(at, at + size));
    at += size;
  }
  return Readable.from(parts);
};

beforeAll(async () => {
  key = await generateDkimKey('rsa');
});

describe('the end of the header section, found by header-end-scan', () => {
  it('is in use', () => {
    expect(mailauthCachesActive).toBe(true);
  });

  for (const eol of ['\r\n', '\n']) {
    it(`splits a message with ${eol === '\n' ? 'bare LF' : 'CRLF'} line ends the same way however it is chunked`, async () => {
      const signed = await dkimSignTestMessage(
        ['From: <ann@split.test>', 'To: <bob@rcpt.test>', 'Subject: chunks', '', 'First line.', '', 'After an empty line.', ''].join('\r\n'),
        { domain: 'split.test', selector: 'sel', key },
      );
      const raw = eol === '\n' ? Buffer.from(signed.toString('latin1').replace(/\r\n/g, '\n'), 'latin1') : signed;
      const whole = await verify(raw);
      expect(whole).toEqual([['split.test', 'pass', null]]);
      const blank = raw.indexOf(eol + eol);
      for (const sizes of [[1], [2], [3], [7, 1, 2], [blank + 1, 1, 1], [blank + 2, 100], [blank + eol.length, 1]]) {
        expect(await verify(chunked(raw, sizes))).toEqual(whole);
      }
    });
  }

  it('fails a changed body however it is chunked, and reads a message without a body as headers only', async () => {
    const signed = await dkimSignTestMessage('From: <ann@split.test>\r\nSubject: body\r\n\r\nThe body.\r\n', { domain: 'split.test', selector: 'sel', key });
    const changed = Buffer.from(signed.toString('latin1').replace('The body.', 'The b0dy.'), 'latin1');
    for (const input of [changed, chunked(changed, [1]), chunked(changed, [changed.indexOf('\r\n\r\n') + 3, 1])]) {
      expect(await verify(input)).toEqual([['split.test', 'neutral', 'body hash did not verify']]);
    }
    const headersOnly = Buffer.from(signed.toString('latin1').split('\r\n\r\n')[0] + '\r\n', 'latin1');
    expect(await verify(chunked(headersOnly, [1]))).toEqual(await verify(headersOnly));
  });
});
