import type { Random } from './fuzz-random.js';

/**
 * What counts as malformed here: a command line that breaks RFC 5321 (and the extensions we offer) in a way no
 * conforming client produces, so the only right answer is a 5xx: bytes that are not a command (control characters,
 * invalid UTF-8), a line not ended by CRLF, a line over 512 octets, a verb we do not implement, an argument where
 * the grammar allows none or a missing one where it needs one, a path that is not `<mailbox>`, an address that is
 * not a mailbox, an ESMTP parameter that is malformed or not offered; plus commands that are well-formed but out of
 * sequence (503) or refused by limits (5xx too). Deliberately not included: things real MTAs accept although the
 * RFC does not (an EHLO argument that is not a domain, `MAIL FROM: <a@b>` with a space, HTAB as white space).
 */
export type Malformed = Readonly<{ kind: string; bytes: Buffer }>;
export type SessionState = 'fresh' | 'greeted' | 'mail';
export type Role = 'mx' | 'submission';

const CRLF = '\r\n';
const line = (kind: string, text: string | Buffer, ending = CRLF): Malformed =>
  ({ kind, bytes: Buffer.concat([typeof text === 'string' ? Buffer.from(text, 'latin1') : text, Buffer.from(ending, 'latin1')]) });

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const PRINTABLE = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !#$%&*+-./:;<=>?@[]^_{|}~';
// Verbs smtp-server has a handler for (WIZ, SHELL and KILL are sendmail jokes, not commands).
export const HANDLED_VERBS = new Set(['EHLO', 'HELO', 'QUIT', 'NOOP', 'RSET', 'HELP', 'VRFY', 'XCLIENT', 'XFORWARD', 'STARTTLS', 'AUTH', 'MAIL', 'RCPT', 'DATA']);
const CONTROL = [...Array(32).keys()].filter((b) => b !== 0x0a && b !== 0x09).concat(0x7f);
/** Commands a client may send in any state (or that are refused harmlessly), used as carriers of broken bytes. */
const CARRIERS = ['NOOP', 'RSET', 'HELP', 'VRFY postmaster', 'EHLO fuzz.test', 'MAIL FROM:<a@example.org>', 'RCPT TO:<b@example.org>', 'DATA', 'QUIT'];

const address = (r: Random) => `${r.text(r.int(1, 12), 'abcdefghijklmnopqrstuvwxyz0123456789')}@example.org`;

const randomBytes = (r: Random): Malformed => {
  const bytes = r.bytes(r.int(1, 120), [0x0a]);
  bytes[r.int(0, bytes.length - 1)] = r.pick(CONTROL); // never a well-formed line by accident
  return line('random bytes', bytes);
};

const unknownVerb = (r: Random): Malformed => {
  let verb = r.text(r.int(3, 10), UPPER);
  while (HANDLED_VERBS.has(verb)) verb = r.text(r.int(3, 10), UPPER);
  return line('unknown verb', r.chance(0.5) ? verb : `${verb} ${r.text(r.int(1, 40), PRINTABLE).trim() || 'x'}`);
};

const notImplemented = (r: Random): Malformed => line('verb not implemented', r.pick([
  'WIZ secret', 'WIZ', 'SHELL', 'KILL', 'EXPN postmaster', 'TURN', 'ETRN example.org', 'BDAT 10 LAST', 'LHLO fuzz.test',
  'VERB', 'ONEX', 'XEXPS', 'SEND FROM:<a@example.org>', 'SAML FROM:<a@example.org>', 'SOML FROM:<a@example.org>',
]));

const controlCharacters = (r: Random): Malformed => {
  const text = r.pick(CARRIERS);
  const at = r.int(0, text.length);
  const c = String.fromCharCode(r.chance(0.5) ? 0 : r.pick(CONTROL));
  return line(c === '\0' ? 'NUL byte' : 'control character', text.slice(0, at) + c + text.slice(at));
};

const bareCr = (r: Random): Malformed => r.chance(0.5)
  ? line('bare CR', `${r.pick(CARRIERS)}\r`)
  : line('bare CR', `${r.pick(CARRIERS)}\r${r.pick(CARRIERS)}`);

const bareLf = (r: Random, state: SessionState): Malformed => {
  const safe = ['NOOP', 'RSET', 'HELP', 'VRFY postmaster', 'QUIT', 'EHLO fuzz.test', 'HELO fuzz.test'];
  return line('bare LF', r.pick(state === 'greeted' ? [...safe, 'MAIL FROM:<a@example.org>'] : safe), '\n');
};

const overLong = (r: Random): Malformed => {
  const length = r.chance(0.7) ? r.int(511, 2000) : r.int(2000, 16_000); // 511 + CRLF is one octet over 512
  const head = r.pick(['NOOP ', 'HELP ', 'VRFY ', 'EHLO ', 'MAIL FROM:<', 'RCPT TO:<', 'XYZZY ']);
  return line('over 512 octets', head + r.text(length - head.length, 'abcdefghijklmnopqrstuvwxyz'));
};

const invalidUtf8 = (r: Random): Malformed => line('invalid UTF-8', Buffer.concat([
  Buffer.from(r.pick(['MAIL FROM:<', 'RCPT TO:<', 'NOOP ', 'EHLO ', 'VRFY ', 'HELP '])),
  r.pick([Buffer.from([0xff]), Buffer.from([0xc3, 0x28]), Buffer.from([0xe2, 0x82]), Buffer.from([0xf0, 0x28, 0x8c, 0xbc]), Buffer.from([0x80]), Buffer.from([0xed, 0xa0, 0x80])]),
  Buffer.from(r.pick(['@example.org> SMTPUTF8', '@example.org>', 'x', ''])),
]));

const badMail = (r: Random): Malformed => line('malformed MAIL', r.pick([
  'MAIL FROM:<<>>', `MAIL FROM:${address(r)}`, 'MAIL FROM:<a b@example.org>', `MAIL FROM:<${'x'.repeat(r.int(65, 200))}@example.org>`,
  `MAIL FROM:<${'y'.repeat(250)}@example.org>`, 'MAIL FROM:<a@@example.org>', 'MAIL FROM:<@example.org>', 'MAIL FROM:<a@>',
  'MAIL FROM:<a@example..org>', 'MAIL FROM:<.a@example.org>', 'MAIL FROM:<a.@example.org>', 'MAIL FROM:<a@[999.1.1.1]>',
  'MAIL FROM:<a@example.org', 'MAIL FROM:<a@example.org>>', 'MAIL FROM:', 'MAIL', `MAIL FROM<${address(r)}>`, `MAIL TO:<${address(r)}>`,
  'MAIL FROM:<a@-example.org>', 'MAIL FROM:<a@exa_mple.org>', 'MAIL FROM:<"unterminated@example.org>', 'MAIL FROM:<a@example.org->',
]));

const badMailParams = (r: Random, role: Role): Malformed => line('malformed ESMTP parameter', `MAIL FROM:<${address(r)}> ${r.pick([
  'SIZE=abc', 'SIZE=', 'SIZE', 'SIZE=-1', 'SIZE=1e9', 'SIZE=123456789012345678901', 'SIZE=1 SIZE=2', 'SIZE=10=20',
  'BODY=9BIT', 'BODY', 'SMTPUTF8=yes', 'FOO=bar', '=x', 'X-=1', 'RET=FULL', 'ENVID=abc', 'REQUIRETLS', 'SIZE=999999999',
  ...(role === 'mx' ? ['AUTH=<>'] : []),
])}`);

const badRcpt = (r: Random): Malformed => line('malformed RCPT', r.pick([
  `RCPT TO:${address(r)}`, 'RCPT TO:<>', 'RCPT TO:<a b@example.org>', `RCPT TO <${address(r)}>`, 'RCPT TO:<a@example..org>',
  `RCPT TO:<${'x'.repeat(r.int(65, 300))}@example.org>`, `RCPT FROM:<${address(r)}>`, 'RCPT TO:<a@-example.org>', 'RCPT',
  'RCPT TO:', 'RCPT TO:<<a@example.org>>', 'RCPT TO:<a@[1.2.3]>', `RCPT TO:<${address(r)}> NOTIFY=SUCCESS`,
  `RCPT TO:<${address(r)}> ORCPT=rfc822;a@example.org`, `RCPT TO:<${address(r)}> FOO`, `RCPT TO:<${address(r)}> =`,
]));

const badArgument = (r: Random): Malformed => line('bad argument', r.pick([
  'EHLO', 'HELO', 'EHLO a b', 'HELO a b c', `EHLO ${'a'.repeat(r.int(301, 400))}`, 'DATA now', 'RSET all', 'QUIT now', 'VRFY',
  'XCLIENT ADDR=192.0.2.1', 'XFORWARD NAME=spoofed.example.org',
]));

/** Well-formed commands the state does not allow: 503 (530 on submission before AUTH). */
const outOfSequence = (r: Random, state: SessionState): Malformed => line('out of sequence', r.pick(
  state === 'fresh' ? [`MAIL FROM:<${address(r)}>`, `RCPT TO:<${address(r)}>`, 'DATA']
    : state === 'greeted' ? ['DATA', `RCPT TO:<${address(r)}>`]
      : ['DATA', `MAIL FROM:<${address(r)}>`],
));

/** Verbs the listener may have turned off answer like unknown ones; with these arguments, 501 when turned on. */
const disabledVerb = (r: Random, role: Role): Malformed =>
  line('disabled verb', role === 'mx' ? r.pick(['AUTH PLAIN dGVzdA==', 'STARTTLS now']) : 'STARTTLS now');

/** AUTH that smtp-server refuses before asking us (no AuthAttempted, no failure counted): 501 or 504. */
const badAuth = (r: Random): Malformed => line('malformed AUTH', r.pick([
  'AUTH', 'AUTH BOGUS', 'AUTH XOAUTH2 dGVzdA==', 'AUTH CRAM-MD5 x', 'AUTH PLAIN a b', 'AUTH LOGIN a b', 'AUTH PLAIN =',
  `AUTH PLAIN ${Buffer.from('no separators').toString('base64')}`, `AUTH PLAIN ${Buffer.from('one\0separator').toString('base64')}`,
]));

export type Generator = Readonly<{
  name: string;
  make: (r: Random, state: SessionState, role: Role) => Malformed;
  /** Reaches smtp-server's unknown-command counter (10 end the session with 421). */
  unknown: boolean;
  /** May reach a smtp-server handler before AUTH, which submission counts (10 end the session with 421). */
  handled: boolean;
  roles: readonly Role[];
  weight: number;
}>;

export const GENERATORS: readonly Generator[] = [
  { name: 'random bytes', make: randomBytes, unknown: false, handled: false, roles: ['mx', 'submission'], weight: 12 },
  { name: 'control character', make: controlCharacters, unknown: false, handled: false, roles: ['mx', 'submission'], weight: 10 },
  { name: 'bare CR', make: bareCr, unknown: false, handled: false, roles: ['mx', 'submission'], weight: 6 },
  { name: 'bare LF', make: (r, s) => bareLf(r, s), unknown: false, handled: false, roles: ['mx', 'submission'], weight: 8 },
  { name: 'over 512 octets', make: overLong, unknown: false, handled: false, roles: ['mx', 'submission'], weight: 6 },
  { name: 'invalid UTF-8', make: invalidUtf8, unknown: false, handled: false, roles: ['mx', 'submission'], weight: 6 },
  { name: 'malformed MAIL', make: badMail, unknown: false, handled: true, roles: ['mx', 'submission'], weight: 10 },
  { name: 'malformed ESMTP parameter', make: (r, _s, role) => badMailParams(r, role), unknown: false, handled: true, roles: ['mx'], weight: 10 },
  { name: 'malformed RCPT', make: badRcpt, unknown: false, handled: true, roles: ['mx', 'submission'], weight: 10 },
  { name: 'bad argument', make: badArgument, unknown: false, handled: true, roles: ['mx', 'submission'], weight: 8 },
  { name: 'out of sequence', make: (r, s) => outOfSequence(r, s), unknown: false, handled: true, roles: ['mx', 'submission'], weight: 6 },
  { name: 'malformed AUTH', make: badAuth, unknown: false, handled: false, roles: ['submission'], weight: 20 },
  { name: 'unknown verb', make: unknownVerb, unknown: true, handled: false, roles: ['mx', 'submission'], weight: 4 },
  { name: 'verb not implemented', make: notImplemented, unknown: true, handled: false, roles: ['mx', 'submission'], weight: 2 },
  { name: 'disabled verb', make: (r, _s, role) => disabledVerb(r, role), unknown: true, handled: true, roles: ['mx', 'submission'], weight: 1 },
];
