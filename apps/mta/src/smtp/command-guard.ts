import { isUtf8 } from 'node:buffer';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import { SMTPStream } from 'smtp-server/lib/smtp-stream.js';

/** A refusal of a command line before smtp-server parses it; smtp-server adds the enhanced code (5.5.2, 5.5.4). */
export type LineRefusal = Readonly<{ code: 500 | 501 | 555; text: string }>;

export type LineFacts = Readonly<{
  /** The line ended in LF without the CR before it. */
  bareLf: boolean;
  /** The line answers a SASL challenge (RFC 4954): base64, no verb. */
  authResponse: boolean;
  /** ESMTP parameters this connection offers for MAIL and RCPT (upper case). */
  mailParams: ReadonlySet<string>;
  rcptParams: ReadonlySet<string>;
}>;

// RFC 5321 §4.5.3.1.4: 512 octets with CRLF; RFC 4954 §4: 12288 for AUTH and its responses.
export const MAX_COMMAND_LINE = 512;
export const MAX_AUTH_LINE = 12_288;

// C0 controls but HTAB (clients use it as white space), and DEL. A CR here is a bare CR: CRLF was cut off.
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
const NO_ARGUMENT = new Set(['DATA', 'RSET', 'QUIT']);
// RFC 5321 §4.1.2 esmtp-param; values may be UTF-8 (RFC 6531 §3.3)
const PARAM = /^[A-Za-z0-9][A-Za-z0-9-]*(=[^\s=]+)?$/;

/** MAIL FROM / RCPT TO parameters: syntax (501) first, then support (555, RFC 5321 §4.1.1.11). */
const checkParams = (text: string, prefix: 'MAIL FROM' | 'RCPT TO', known: ReadonlySet<string>): LineRefusal | null => {
  const colon = text.indexOf(':');
  if (colon === -1 || text.slice(0, colon).trim().toUpperCase() !== prefix) return null; // smtp-server answers 501
  const [path, ...params] = text.slice(colon + 1).trim().split(/\s+/);
  if (!/^<[^<>]*>$/.test(path ?? '')) return null; // a broken path (`<a b@c>` too) is smtp-server's 501 to give
  for (const param of params) {
    if (!PARAM.test(param)) return { code: 501, text: 'Error: Bad parameter syntax' };
    const keyword = param.split('=')[0]!.toUpperCase();
    if (!known.has(keyword)) return { code: 555, text: `Error: Unsupported parameter ${keyword.slice(0, 64)}` };
  }
  return null;
};

/**
 * The rules a command line must meet that smtp-server 3.21.6 does not check, so that no malformed line gets a 2xx
 * or 3xx: CRLF endings (RFC 5321 §2.3.8; smtp-server also ends lines at a bare LF), no control characters
 * (smtp-server ignores the argument of NOOP, RSET, QUIT and DATA, so `RSET \0` was 250), UTF-8 (invalid bytes
 * became U+FFFD in addresses), the 512-octet limit (smtp-server allows 16 KiB), no argument after DATA, RSET and
 * QUIT, and only ESMTP parameters we offer (smtp-server accepted `FOO=bar` and skipped `=x`). Pure.
 */
export const checkCommandLine = (line: Buffer, facts: LineFacts): LineRefusal | null => {
  if (facts.bareLf) return { code: 500, text: 'Error: Bare <LF> received, command lines end with <CR><LF>' };
  if (line.length + 2 > MAX_AUTH_LINE) return { code: 500, text: 'Error: Line too long' };
  const text = line.toString('latin1');
  if (CONTROL.test(text)) return { code: 500, text: 'Error: Control character in command line' };
  if (!isUtf8(line)) return { code: 500, text: 'Error: Command line is not valid UTF-8' };
  if (facts.authResponse) return null;
  const space = text.indexOf(' ');
  const verb = (space === -1 ? text : text.slice(0, space)).toUpperCase();
  if (verb === 'AUTH') return null; // smtp-server checks the mechanism and its initial response
  if (line.length + 2 > MAX_COMMAND_LINE) return { code: 500, text: 'Error: Line too long' };
  if (NO_ARGUMENT.has(verb) && space !== -1 && text.slice(space).trim() !== '') return { code: 501, text: `Error: Syntax: ${verb}` };
  if (verb === 'MAIL') return checkParams(text, 'MAIL FROM', facts.mailParams);
  if (verb === 'RCPT') return checkParams(text, 'RCPT TO', facts.rcptParams);
  return null;
};

/**
 * A command line as it may be recorded (CommandRejected.command, logs): control characters written as `\xHH`, since
 * PostgreSQL's jsonb refuses U+0000 and one refused event fails the whole group-committed batch it is in; at most
 * `max` characters, since a refused line may be 16 KiB of garbage.
 */
export const recordableCommand = (line: string, max = MAX_COMMAND_LINE): string =>
  line.slice(0, max).replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

type Params = { mail: Set<string>; rcpt: Set<string> };
const paramsByServer = new WeakMap<object, Params>();

/**
 * The parameters a connection advertises (or accepts without advertising, as SIZE), from the server's options: the
 * same for every connection of a server, so worked out once per server.
 */
const paramsOf = (connection: SMTPConnection): Params => {
  let params = paramsByServer.get(connection._server);
  if (params === undefined) paramsByServer.set(connection._server, (params = serverParams(connection)));
  return params;
};

const serverParams = (connection: SMTPConnection): Params => {
  const options = connection._server.options;
  const mail = new Set(['SIZE', 'REQUIRETLS']);
  const rcpt = new Set<string>();
  if (!options.hide8BITMIME) mail.add('BODY');
  if (!options.hideSMTPUTF8) mail.add('SMTPUTF8');
  if (connection._isSupported('AUTH')) mail.add('AUTH'); // RFC 4954 §5
  if (!options.hideDSN) ['RET', 'ENVID'].forEach((p) => mail.add(p));
  if (!options.hideDSN) ['NOTIFY', 'ORCPT'].forEach((p) => rcpt.add(p));
  return { mail, rcpt };
};

/** The endings (bare LF or not) of the lines a parser has split but not yet dispatched, in order. */
class LineEndings {
  private bare: boolean[] = [];
  private head = 0;

  /** Finds the line ends of a chunk the way SMTPStream does (/\r?\n/ over remainder + chunk). */
  add(remainder: string, chunk: Buffer): void {
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) {
      const before = i > 0 ? chunk[i - 1] : remainder.charCodeAt(remainder.length - 1);
      this.bare.push(before !== 0x0d);
    }
  }

  next(): boolean {
    if (this.head >= this.bare.length) return false; // the last line of a closed input: it has no ending
    const bare = this.bare[this.head++]!;
    if (this.head === this.bare.length) this.clear();
    return bare;
  }

  clear(): void {
    this.bare = [];
    this.head = 0;
  }
}

const endings = new WeakMap<SMTPStream, LineEndings>();
let installed = false;

/**
 * Makes every smtp-server connection of this process refuse the lines `checkCommandLine` refuses, and drops the
 * sendmail jokes WIZ, SHELL and KILL (`WIZ x` was `200 Please pass, oh mighty wizard`) so they get 500 like any
 * unknown verb. Refusals go through `send`, so they count as rejections for observers of it; call this before
 * patching `_onCommand` elsewhere (useOwnEnhancedStatusCodes) so that patch sees the refused line too.
 * Idempotent. Lines read before the greeting or during a shutdown are left to smtp-server, which answers them 421
 * and closes; so are lines read during a TLS handshake, which it drops.
 */
export const installCommandGuard = (): void => {
  if (installed) return;
  installed = true;
  const stream = SMTPStream.prototype;
  const write = stream._write;
  stream._write = function (this: SMTPStream, chunk, encoding, next) {
    let ends = endings.get(this);
    if (!ends) endings.set(this, (ends = new LineEndings()));
    // Data mode: whatever line ends are left belong to the message, which SMTPStream passes on unsplit.
    if (this._dataMode) ends.clear();
    else if (chunk && chunk.length > 0) ends.add(this._remainder, chunk);
    return write.call(this, chunk, encoding, next);
  };

  const proto = SMTPConnection.prototype as SMTPConnection & Record<string, unknown>;
  for (const joke of ['handler_WIZ', 'handler_SHELL', 'handler_KILL']) delete proto[joke];
  const onCommand = proto._onCommand;
  proto._onCommand = function (this: SMTPConnection, command, callback) {
    const bareLf = (this._parser && endings.get(this._parser)?.next()) ?? false; // taken for every line, to stay in step
    if (!this._ready || this._upgrading || this._server._closeTimeout || !command) return onCommand.call(this, command, callback);
    const { mail, rcpt } = paramsOf(this);
    const refusal = checkCommandLine(command, { bareLf, authResponse: this._nextHandler !== false, mailParams: mail, rcptParams: rcpt });
    if (!refusal) return onCommand.call(this, command, callback);
    this._nextHandler = false; // a broken SASL response ends the exchange (RFC 4954 §4)
    this.send(refusal.code, refusal.text);
    const next = callback ?? (() => false);
    setImmediate(() => this._whenWritable(next));
  };
};
