import type { SMTPServer, SMTPServerSession } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import { recordableCommand } from './command-guard.js';

/** An error whose reply smtp-server sends as `<code> <enhanced> <text>`. */
export type SmtpReplyError = Error & { responseCode: number };

export const smtpError = (code: number, enhancedCode: string, text: string): SmtpReplyError =>
  Object.assign(new Error(`${enhancedCode} ${text}`), { responseCode: code });

/** A 4xx/5xx reply that smtp-server produced itself (parser, sequence, limits), with the command it answered. */
export type LibraryRejection = Readonly<{
  code: number; enhancedCode: string | null; text: string; verb: string; argument: string; context: string | null;
}>;
export type RejectionObserver = (session: SMTPServerSession, rejection: LibraryRejection) => void;

type Connection = {
  _server: object; _nextHandler?: unknown; session?: SMTPServerSession; __elemtaCommand?: Buffer | string;
  _getEnhancedStatusCode: (code: number, context?: string | false) => string;
};
type Proto = Connection & {
  send: (code: number, data: unknown, context?: string | false) => void;
  _onCommand: (command: Buffer | string, callback: unknown) => unknown;
};

const ENHANCED = /^[245]\.\d{1,3}\.\d{1,3} /;
const observers = new WeakMap<object, RejectionObserver>();
let installed = false;

/**
 * Two adjustments to smtp-server's replies, both in one place:
 * - enhanced status codes (RFC 2034): smtp-server picks them itself, 2.6.0 for an accepted message and one code per
 *   reply code for our hooks' errors. We want ours: `250 2.0.0 Ok: queued as <id>` (as Postfix replies), 452 4.5.3
 *   for too many recipients. Our replies carry their code at the start of the text, so none is added to those;
 *   every other reply keeps smtp-server's mapping;
 * - smtp-server answers malformed commands itself, before any hook runs; `observeRejections` lets a listener record
 *   those replies as session events too, so the log holds every refusal.
 */
export const useOwnEnhancedStatusCodes = (): void => {
  if (installed) return;
  installed = true;
  const proto = SMTPConnection.prototype as unknown as Proto;
  const send = proto.send;
  const onCommand = proto._onCommand;
  proto._onCommand = function (this: Connection, command, callback) {
    // A line that answers a SASL challenge holds credentials (base64): remember only that it belonged to AUTH.
    // The line itself is kept as it came; it is decoded only if a refusal is recorded (notify).
    this.__elemtaCommand = this._nextHandler ? 'AUTH' : command ?? '';
    return onCommand.call(this as Proto, command, callback);
  };
  proto.send = function (this: Connection, code, data, context) {
    if (typeof data === 'string' && ENHANCED.test(data)) return send.call(this as Proto, code, data, false);
    if (context === 'DATA_OK' && typeof data === 'string') return send.call(this as Proto, code, `2.0.0 ${data}`, false);
    if (code >= 400) notify(this, code, data, context);
    return send.call(this as Proto, code, data, context);
  };
};

const notify = (connection: Connection, code: number, data: unknown, context: string | false | undefined) => {
  const observer = observers.get(connection._server);
  if (!observer || !connection.session) return;
  const line = recordableCommand((connection.__elemtaCommand ?? '').toString());
  const space = line.indexOf(' ');
  const verb = (space === -1 ? line : line.slice(0, space)).toUpperCase();
  const argument = verb === 'AUTH' ? '' : (space === -1 ? '' : line.slice(space + 1)).slice(0, 512);
  try {
    observer(connection.session, {
      code, enhancedCode: connection._getEnhancedStatusCode(code, context) || null,
      text: Array.isArray(data) ? data.join(' ') : String(data ?? ''), verb, argument, context: context || null,
    });
  } catch { /* recording must never break the conversation */ }
};

export const observeRejections = (server: SMTPServer, observer: RejectionObserver): void => {
  observers.set(server, observer);
};
