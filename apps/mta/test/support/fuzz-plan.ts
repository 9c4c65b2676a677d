import { brokenBody, END_OF_DATA, unterminatedBody } from './broken-data.js';
import { createRandom, type Random } from './fuzz-random.js';
import { GENERATORS, type Malformed, type Role, type SessionState } from './malformed-lines.js';

/**
 * What the server must answer to one reply's worth of input:
 * - `refusal`: a malformed line: any 5xx, or 421 after which the server closes (it may end a session it gives up on);
 * - a number: exactly that code (the well-formed steps around the garbage, e.g. the NOOP that proves nothing from a
 *   message body was run as a command);
 * - `queued`: `250 2.0.0 Ok: queued as <id>`; `queued or 5xx`: that or a permanent refusal, never a 4xx;
 * - `silence`: nothing within `ms` (a QUIT inside an unterminated body is content);
 * - `closed`: no reply, the server closes the connection (plain text where a TLS handshake must come).
 */
export type Expectation = Readonly<{ label: string; accept: 'refusal' | 'queued' | 'queued or 5xx' | 'silence' | 'closed' | number; ms?: number }>;
export type Exchange = Readonly<{ send: Buffer; expect: readonly Expectation[] }>;

export type Plan = Readonly<{
  id: number;
  seed: number;
  role: Role | 'smtps';
  /** False on the implicit-TLS port: a plain-text client never sees the greeting. */
  greets: boolean;
  /** Sent the moment the connection opens, before the greeting (TLS ClientHello, early talkers). */
  early: Buffer | null;
  exchanges: readonly Exchange[];
  end: 'quit' | 'drop';
  malformedLines: number;
  dataStreams: number;
}>;

export type PlanInput = Readonly<{ id: number; seed: number; role: Role | 'smtps'; clientHello: Buffer; maxMessageSize: number }>;

const crlf = (text: string) => Buffer.from(`${text}\r\n`, 'latin1');
const refusal = (m: Malformed): Expectation => ({ label: `${m.kind}: ${JSON.stringify(m.bytes.toString('latin1').slice(0, 100))}`, accept: 'refusal' });
const linesIn = (bytes: Buffer) => bytes.reduce((n, b) => n + (b === 0x0a ? 1 : 0), 0);
const MAX_UNKNOWN = 8; // smtp-server ends the session at the 10th unknown verb
const MAX_UNAUTHENTICATED = 8; // and submission at the 10th command other than AUTH

class PlanBuilder {
  readonly exchanges: Exchange[] = [];
  state: SessionState = 'fresh';
  unknownLeft = MAX_UNKNOWN;
  unauthenticatedLeft = MAX_UNAUTHENTICATED;
  malformed = 0;
  dataStreams = 0;

  constructor(readonly r: Random, readonly input: PlanInput & { role: Role }) {}

  step(text: string, code: number): void {
    this.exchanges.push({ send: crlf(text), expect: [{ label: text, accept: code }] });
    if (this.input.role === 'submission') this.unauthenticatedLeft--;
  }

  pickGenerator() {
    const usable = GENERATORS.filter((g) => g.roles.includes(this.input.role)
      && (!g.unknown || this.unknownLeft > 0)
      && (!g.handled || this.input.role === 'mx' || this.unauthenticatedLeft > 0));
    let x = this.r.next() * usable.reduce((sum, g) => sum + g.weight, 0);
    for (const g of usable) if ((x -= g.weight) < 0) return g;
    return usable[0]!;
  }

  malformedLine(): Malformed {
    const g = this.pickGenerator();
    if (g.unknown) this.unknownLeft--;
    if (g.handled && this.input.role === 'submission') this.unauthenticatedLeft--;
    this.malformed++;
    return g.make(this.r, this.state, this.input.role);
  }

  /** 1 to 25 malformed lines, in one write (pipelined garbage) or one at a time. */
  garbage(): void {
    const lines = Array.from({ length: this.r.int(1, 25) }, () => this.malformedLine());
    if (this.r.chance(0.5)) this.exchanges.push({ send: Buffer.concat(lines.map((l) => l.bytes)), expect: lines.map(refusal) });
    else for (const l of lines) this.exchanges.push({ send: l.bytes, expect: [refusal(l)] });
  }

  /** MAIL, RCPT and DATA, pipelined or not, up to the 354. */
  openData(): void {
    const sender = `fuzz-${this.input.id}@example.org`;
    if (this.state === 'mail') this.step('RSET', 250);
    const setup = [`MAIL FROM:<${sender}>`, 'RCPT TO:<sink@example.net>', 'DATA'];
    if (this.r.chance(0.5)) {
      this.exchanges.push({ send: Buffer.concat(setup.map(crlf)), expect: setup.map((label, i) => ({ label, accept: i === 2 ? 354 : 250 })) });
    } else {
      setup.forEach((text, i) => this.step(text, i === 2 ? 354 : 250));
    }
  }

  /** A broken body, then NOOP: its 250 must be the very next reply, so nothing in the body ran as a command. */
  dataStream(): void {
    this.openData();
    const broken = brokenBody(this.r, this.input.maxMessageSize);
    const verdict: Expectation = { label: `DATA with ${broken.kind}`, accept: broken.expect === 'too big' ? 552 : broken.expect };
    // smtp-server forgets the unknown verbs of a session once a message transaction is over
    this.unknownLeft = MAX_UNKNOWN;
    this.state = 'greeted';
    const after = this.r.chance(0.2) ? Array.from({ length: this.r.int(1, 10) }, () => this.malformedLine()) : [];
    this.exchanges.push({ send: Buffer.concat([broken.body, END_OF_DATA, ...after.map((l) => l.bytes)]), expect: [verdict, ...after.map(refusal)] });
    this.step('NOOP', 250);
    this.dataStreams++;
  }

  /** SMTP where a TLS record must come: at least a record header's worth, and never one by accident. */
  plainText(): Buffer {
    return Buffer.concat([Buffer.from(this.r.pick(['EHLO fuzz.test\r\n', 'QUIT\r\n', 'GET / HTTP/1.1\r\n'])), this.malformedLine().bytes]);
  }

  /** The last thing a session does; some endings are themselves malformed input the server has to survive. */
  ending(): 'quit' | 'drop' {
    const x = this.r.next();
    const mx = this.input.role === 'mx' && this.state !== 'fresh';
    const final = (kind: string, bytes: Buffer): 'drop' => {
      this.malformed++;
      this.exchanges.push({ send: bytes, expect: [{ label: kind, accept: 'refusal' }] });
      return 'drop';
    };
    if (x < 0.08) return final('line over 16 KiB', crlf(`NOOP ${'x'.repeat(this.r.int(16_400, 70_000))}`));
    if (x < 0.12) return final('MiBs without a line end', Buffer.alloc(this.r.int(1, 3) * 1024 * 1024 + this.r.int(0, 1000), 'A'));
    if (x < 0.17) return final('HTTP request', Buffer.from('GET / HTTP/1.1\r\nHost: mx.elemta.test\r\n\r\n'));
    if (x < 0.21 && this.state !== 'fresh') {
      // plain text where the TLS handshake must come: the handshake fails and the server hangs up, without a reply
      this.step('STARTTLS', 220);
      this.exchanges.push({ send: this.plainText(), expect: [{ label: 'plain text after STARTTLS', accept: 'closed' }] });
      return 'drop';
    }
    if (x < 0.29 && mx) {
      this.openData();
      this.exchanges.push({ send: unterminatedBody(this.r), expect: [{ label: 'DATA without an end, then QUIT', accept: 'silence', ms: 300 }] });
      return 'drop';
    }
    if (x < 0.37 && mx) {
      this.openData();
      this.exchanges.push({ send: Buffer.from('Subject: cut off\r\n\r\nhalf a mess'), expect: [] });
      return 'drop';
    }
    return x < 0.85 ? 'quit' : 'drop';
  }
}

/** A TLS client on the plain port: returns the bytes to send before the greeting, if it talks first. */
const tlsClient = (b: PlanBuilder, hello: Buffer): Buffer | null => {
  // each line its bytes happen to form is refused, then the rest once a CRLF ends it
  const early = b.r.chance(0.5);
  b.malformed += linesIn(hello) + 1;
  if (!early) {
    const lines = Array.from({ length: linesIn(hello) }, (_, i) => ({ label: `TLS ClientHello, line ${i + 1}`, accept: 'refusal' as const }));
    b.exchanges.push({ send: hello, expect: lines });
  }
  b.exchanges.push({ send: crlf(''), expect: [{ label: 'end of the TLS ClientHello', accept: 'refusal' }] });
  return early ? hello : null;
};

/** EHLO (mostly), then garbage, broken messages and transactions opened and reset, until `target` malformed lines. */
const conversation = (b: PlanBuilder, target: number): void => {
  const mx = b.input.role === 'mx';
  if (b.r.chance(0.9)) {
    b.step('EHLO fuzz.test', 250);
    b.state = 'greeted';
  }
  if (b.r.chance(0.05)) b.unknownLeft = 12; // a few sessions run into the unknown-verb limit on purpose
  while (b.malformed < target) {
    const x = b.r.next();
    if (mx && b.state !== 'fresh' && x < 0.1 && b.dataStreams < 3) b.dataStream();
    else if (mx && b.state === 'greeted' && x < 0.16) {
      b.step(`MAIL FROM:<open-${b.input.id}@example.org>`, 250);
      b.state = 'mail';
    } else if (b.state === 'mail' && x < 0.22) {
      b.step('RSET', 250);
      b.state = 'greeted';
    } else b.garbage();
  }
};

/** The session `input.seed` stands for: the same seed (and ClientHello) gives the same plan, byte for byte. */
export const planSession = (input: PlanInput): Plan => {
  const r = createRandom(input.seed);
  const b = new PlanBuilder(r, { ...input, role: input.role === 'smtps' ? 'mx' : input.role });
  const done = (early: Buffer | null, end: 'quit' | 'drop'): Plan => ({
    id: input.id, seed: input.seed, role: input.role, greets: input.role !== 'smtps', early, exchanges: b.exchanges, end,
    malformedLines: b.malformed, dataStreams: b.dataStreams,
  });
  if (input.role === 'smtps') {
    b.exchanges.push({ send: b.plainText(), expect: [{ label: 'plain text on the TLS port', accept: 'closed' }] });
    return done(null, 'drop');
  }
  const kind = r.next();
  // talks before the greeting: 421 and closed, or (if the server was slow to greet) a 5xx after the greeting
  if (kind < 0.04) return done(b.malformedLine().bytes, 'quit');
  if (kind < 0.10) return done(tlsClient(b, input.clientHello), 'quit');
  conversation(b, input.role === 'mx' ? r.int(30, 80) : r.int(15, 40));
  return done(null, b.ending());
};
