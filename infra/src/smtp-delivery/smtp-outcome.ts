import type { SmtpReply } from '@elemta/domain';
import type { RecipientOutcome } from './transport-types.js';

/** The fields of a nodemailer SMTP client error that say what happened (NodemailerError, structurally). */
export type SmtpClientError = Readonly<{
  message: string;
  /** nodemailer's code: ECONNECTION, ESOCKET, ETIMEDOUT, ETLS, EENVELOPE, EMESSAGE, EAUTH, EPROTOCOL, EDNS… */
  code?: string | undefined;
  /** The system error nodemailer replaced with its own code (ECONNREFUSED, ECONNRESET, EHOSTUNREACH…). */
  originalCode?: string | undefined;
  response?: string | undefined;
  responseCode?: number | undefined;
  command?: string | undefined;
  recipient?: string | undefined;
  rejectedErrors?: readonly SmtpClientError[] | undefined;
}>;

/** What nodemailer's SMTPConnection.send() reports for a transaction that reached the end of DATA. */
export type SmtpSendInfo = Readonly<{
  accepted: readonly string[];
  rejected: readonly string[];
  rejectedErrors?: readonly SmtpClientError[] | undefined;
  response: string;
}>;

/** The host an attempt talked to, for synthetic reply texts: `mx.example.test[192.0.2.1]:25`. */
export type Peer = Readonly<{ host: string; address: string; port: number }>;

/**
 * How far the attempt got when it failed without a reply: `connect` (TCP, greeting, EHLO, STARTTLS, AUTH),
 * `envelope` (MAIL, RCPT) or `data` (the body was being sent). It picks the synthetic reply's command and code.
 */
export type AttemptStage = 'connect' | 'envelope' | 'data';

export type DeliveryStatus = RecipientOutcome['status'];

const REPLY_LINE = /^(\d{3})([ -]?)(.*)$/;
const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})(?:\s+|$)/;

/** RFC 5321 §4.2.1: 2yz positive, 4yz transient, 5yz permanent. */
export const statusOfCode = (code: number): DeliveryStatus =>
  code < 400 ? 'delivered' : code < 500 ? 'deferred' : 'bounced';

export const smtpReply = (code: number, enhancedCode: string | null, text: string, command: string): SmtpReply =>
  ({ code, enhancedCode, text, command });

/**
 * Parses a (possibly multi-line) server reply. The enhanced status code (RFC 2034, RFC 3463) is taken from the first
 * line when its class matches the reply code's first digit, and stripped from every line of the text.
 * Returns null for something that is not an SMTP reply with a code in 200–599.
 */
export const parseSmtpReply = (response: string, command: string): SmtpReply | null => {
  const lines = response.split(/\r?\n/).filter((line) => line.length > 0);
  const first = lines[0] === undefined ? null : REPLY_LINE.exec(lines[0]);
  if (!first) return null;
  const code = Number(first[1]);
  if (code < 200 || code > 599) return null;
  const enhanced = ENHANCED.exec(first[3] ?? '');
  const enhancedCode = enhanced && enhanced[1] === String(code).charAt(0) ? `${enhanced[1]}.${enhanced[2]}.${enhanced[3]}` : null;
  const text = lines.map((line) => {
    const rest = REPLY_LINE.exec(line)?.[3] ?? line;
    return enhancedCode && rest.startsWith(enhancedCode) ? rest.slice(enhancedCode.length).trimStart() : rest;
  }).join(' ').trim();
  return smtpReply(code, enhancedCode, text, command);
};

const outcome = (recipient: string, reply: SmtpReply): RecipientOutcome =>
  ({ recipient, status: statusOfCode(reply.code), reply });

/** nodemailer names the step in `err.command`; we report the SMTP verb (CONN is the greeting, i.e. CONNECT). */
export const commandOf = (nodemailerCommand: string | undefined, fallback: string): string => {
  if (!nodemailerCommand || nodemailerCommand === 'API') return fallback;
  if (nodemailerCommand === 'CONN') return fallback === 'DATA' ? 'DATA' : 'CONNECT';
  return nodemailerCommand;
};

/** The reply of an error that carries one, or null. */
const replyOfError = (err: SmtpClientError, fallbackCommand: string): SmtpReply | null =>
  err.response ? parseSmtpReply(err.response, commandOf(err.command, fallbackCommand)) : null;

/**
 * Per-recipient outcomes of a transaction that got through DATA: recipients refused at RCPT (or, with LMTP, after
 * DATA) get their own reply from `rejectedErrors`; accepted ones get the reply to the end of DATA. With LMTP,
 * nodemailer keeps only the refusals and the last recipient's reply, so an accepted recipient whose own 250 was not
 * kept gets a plain `250 2.0.0` (RFC 2033 §4.2).
 */
export const outcomesFromSendInfo = (recipients: readonly string[], info: SmtpSendInfo): RecipientOutcome[] => {
  const dataReply = parseSmtpReply(info.response, 'DATA');
  const accepted = new Set(info.accepted);
  return recipients.map((recipient) => {
    const refusal = info.rejectedErrors?.find((e) => e.recipient === recipient);
    const refusalReply = refusal ? replyOfError(refusal, 'RCPT TO') : null;
    if (refusalReply) return outcome(recipient, refusalReply);
    if (accepted.has(recipient)) {
      return outcome(recipient, dataReply && dataReply.code < 300 ? dataReply : smtpReply(250, '2.0.0', 'delivered', 'DATA'));
    }
    return outcome(recipient, smtpReply(451, '4.3.0', 'the server gave no reply for this recipient', 'DATA'));
  });
};

/**
 * Per-recipient outcomes of a failed attempt. A peer's answer is used as it is (4xx deferred, 5xx bounced); a failure
 * without an answer becomes a synthetic deferral (`syntheticReply`). Never throws.
 */
export const outcomesFromError = (
  recipients: readonly string[], err: SmtpClientError, peer: Peer | null, stage: AttemptStage,
): RecipientOutcome[] => {
  const fallbackCommand = stage === 'connect' ? 'CONNECT' : stage === 'data' ? 'DATA' : 'MAIL FROM';
  const shared = sharedReplyOfError(err, peer, stage, fallbackCommand);
  return recipients.map((recipient) => {
    const refusal = err.rejectedErrors?.find((e) => e.recipient === recipient);
    const refusalReply = refusal ? replyOfError(refusal, 'RCPT TO') : null;
    return outcome(recipient, refusalReply ?? shared);
  });
};

/** One reply for every recipient of a failed attempt. */
export const sharedReplyOfError = (
  err: SmtpClientError, peer: Peer | null, stage: AttemptStage, fallbackCommand: string,
): SmtpReply => {
  // TLS and authentication problems are ours to fix or the peer's to repair; they never bounce a message.
  if (isTlsError(err)) return tlsFailureReply(err, peer);
  if (err.code === 'EAUTH' || err.code === 'ENOAUTH') {
    return smtpReply(451, '4.7.8', `authentication failed at ${label(peer)}: ${err.response ?? err.message}`, 'AUTH');
  }
  const answered = replyOfError(err, fallbackCommand);
  if (answered && answered.code >= 400) return answered;
  return syntheticReply(err, peer, stage);
};

const label = (peer: Peer | null): string => {
  if (!peer) return 'the peer';
  return peer.host === peer.address ? `[${peer.address}]:${peer.port}` : `${peer.host}[${peer.address}]:${peer.port}`;
};

// Certificate and handshake failures surface as socket errors (ESOCKET) carrying OpenSSL's or Node's code.
const TLS_SYSTEM_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_|HOSTNAME_MISMATCH)/;

export const isTlsError = (err: SmtpClientError): boolean =>
  err.code === 'ETLS' || TLS_SYSTEM_CODE.test(err.originalCode ?? '');

/** RFC 3463 X.7.4 (security features not supported) when STARTTLS was refused, X.7.5 (cryptographic failure) otherwise. */
export const tlsFailureReply = (err: SmtpClientError, peer: Peer | null): SmtpReply =>
  err.response
    ? smtpReply(451, '4.7.4', `TLS is required but ${label(peer)} refused STARTTLS: ${err.response}`, 'STARTTLS')
    : smtpReply(451, '4.7.5', `TLS handshake with ${label(peer)} failed: ${err.message}`, 'STARTTLS');

const CONNECT_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused by', EHOSTUNREACH: 'no route to', ENETUNREACH: 'network unreachable for',
  EADDRNOTAVAIL: 'cannot bind the local address to reach',
};

/**
 * A reply for a failure the peer did not answer (RFC 3463): 4.4.1 no answer from host (refused, unreachable, timeout
 * before the session started), 4.4.2 bad connection (reset or dropped after it started), 4.3.0 for local trouble.
 */
export const syntheticReply = (err: SmtpClientError, peer: Peer | null, stage: AttemptStage): SmtpReply => {
  const command = stage === 'connect' ? 'CONNECT' : stage === 'data' ? 'DATA' : commandOf(err.command, 'MAIL FROM');
  const system = err.originalCode ?? '';
  if (system in CONNECT_CODES) return smtpReply(451, '4.4.1', `${CONNECT_CODES[system]} ${label(peer)}`, 'CONNECT');
  if (err.code === 'ETIMEDOUT') {
    return stage === 'connect'
      ? smtpReply(451, '4.4.1', `no answer from ${label(peer)} (${err.message})`, 'CONNECT')
      : smtpReply(451, '4.4.2', `connection to ${label(peer)} timed out during ${command}`, command);
  }
  if (err.code === 'EDNS') return smtpReply(451, '4.4.3', `cannot resolve ${label(peer)}: ${err.message}`, 'CONNECT');
  if (err.code === 'EMESSAGE' && !err.response) {
    return smtpReply(552, '5.3.4', `message is larger than ${label(peer)} accepts: ${err.message}`, 'MAIL FROM');
  }
  if (err.code === 'EABORT' || err.code === 'ESTREAM') return smtpReply(451, '4.3.0', `delivery interrupted: ${err.message}`, command);
  if (err.code === 'EPROTOCOL') return smtpReply(451, '4.5.0', `protocol error with ${label(peer)}: ${err.message}`, command);
  return smtpReply(451, '4.4.2', `lost connection with ${label(peer)} during ${command}: ${err.message}`, command);
};

/** The same reply for every recipient (DNS outcomes, local failures, capture). */
export const outcomesWithReply = (recipients: readonly string[], reply: SmtpReply): RecipientOutcome[] =>
  recipients.map((recipient) => outcome(recipient, reply));
