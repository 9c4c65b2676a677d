import type { Random } from './fuzz-random.js';

/** A message body the test sends after `354`, before the `<CRLF>.<CRLF>` it adds itself. */
export type BrokenBody = Readonly<{ kind: string; body: Buffer; expect: 'queued' | 'queued or 5xx' | 'too big' }>;

export const END_OF_DATA = Buffer.from('\r\n.\r\n');

/**
 * Makes sure the body holds no end of data of its own, including one formed with the terminator the sender appends
 * (a body ending in `<CRLF>.`) and a lone `.` as the very first line (RFC 5321 §4.1.1.4): the test must know
 * exactly where the server has to see the end of the message.
 */
const withoutTerminator = (body: Buffer): Buffer => {
  const out = Buffer.from(body);
  if (out.length >= 3 && out[0] === 0x2e && out[1] === 0x0d && out[2] === 0x0a) out[0] = 0x78;
  for (;;) {
    const at = Buffer.concat([out, END_OF_DATA]).indexOf(END_OF_DATA);
    if (at >= out.length) return out;
    out[at + 2] = 0x78;
  }
};

const headers = (subject: string, eol = '\r\n') =>
  `From: fuzz@example.org${eol}To: sink@example.net${eol}Subject: ${subject}${eol}Message-ID: <fuzz@example.org>${eol}${eol}`;

// Sequences that some servers took for the end of data (SMTP smuggling, CVE-2023-51764/5/6); RFC 5321 says only
// <CRLF>.<CRLF> ends it, so what follows each of them is still message content.
const SMUGGLING = ['\n.\n', '\n.\r\n', '\r.\r\n', '\r\n.\n', '\r\n.\r', '\r.\r', '\n..\n', '\r\n.\x00\r\n'];

const bareLf = (r: Random): BrokenBody =>
  ({ kind: 'bare LF line ends', body: Buffer.from(`${headers('bare LF', '\n')}line one\nline two\n${r.chance(0.5) ? '\n' : ''}last`), expect: 'queued' });

const smuggling = (r: Random): BrokenBody => ({
  kind: 'smuggled end of data',
  body: Buffer.from(`${headers('smuggling')}hello${r.pick(SMUGGLING)}MAIL FROM:<evil@example.org>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\nsmuggled${r.pick(SMUGGLING)}QUIT\r\n`),
  expect: 'queued',
});

const nulInBody = (r: Random): BrokenBody =>
  ({ kind: 'NUL bytes in the body', body: Buffer.from(`${headers('nul')}a\0b\r\n${'\0'.repeat(r.int(1, 64))}\r\nend\0`), expect: 'queued' });

// RFC 5322 has no NUL anywhere: accepting the message or refusing it for good are both right, a 4xx is not (the
// sender would retry the same bytes until the message expires).
const nulInHeader = (r: Random): BrokenBody => ({
  kind: 'NUL byte in a header',
  body: Buffer.from(`From: fuzz@example.org\r\nTo: sink@example.net\r\nSubject: ${r.pick(['a\0b', '=?utf-8?B?AA==?='])}\r\n\r\nbody\r\n`),
  expect: 'queued or 5xx',
});

const loneDots = (r: Random): BrokenBody => {
  const lines = Array.from({ length: r.int(2, 12) }, () => r.pick(['..', '...', ' .', '.x', '. ', '.\t', '.', 'text']));
  const first = r.chance(0.3) ? '..\r\n' : ''; // a dot-stuffed lone dot as the very first line
  return { kind: 'lone dots', body: Buffer.from(`${first}${headers('dots')}${lines.join('\r\n')}`), expect: 'queued' };
};

const longLines = (r: Random): BrokenBody =>
  ({ kind: 'lines over 998 octets', body: Buffer.from(`${headers('long')}${'x'.repeat(r.int(999, 100_000))}\r\nshort`), expect: 'queued' });

const binary = (r: Random): BrokenBody =>
  ({ kind: 'binary garbage', body: r.bytes(r.int(1, 8192)), expect: 'queued' });

const oversized = (r: Random, maxSize: number): BrokenBody =>
  ({ kind: 'over the size limit', body: Buffer.from(headers('big') + 'y'.repeat(maxSize + r.int(1, maxSize))), expect: 'too big' });

const pickBody = (r: Random, maxSize: number): BrokenBody => {
  const x = r.next();
  if (x < 0.17) return bareLf(r);
  if (x < 0.34) return smuggling(r);
  if (x < 0.46) return nulInBody(r);
  if (x < 0.50) return nulInHeader(r);
  if (x < 0.64) return loneDots(r);
  if (x < 0.74) return longLines(r);
  if (x < 0.90) return binary(r);
  return oversized(r, maxSize);
};

export const brokenBody = (r: Random, maxSize: number): BrokenBody => {
  const picked = pickBody(r, maxSize);
  return { ...picked, body: withoutTerminator(picked.body) };
};

/** A body that never ends: the QUIT in it is content, so no reply may come. */
export const unterminatedBody = (r: Random): Buffer =>
  withoutTerminator(Buffer.from(`${headers('no end')}this message has no end${r.pick(['\r\n', '\n', ''])}QUIT\r\n`));
