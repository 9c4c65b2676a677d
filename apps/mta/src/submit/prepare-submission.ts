import { mailboxProblem } from '@elemta/domain';
import type { SubmissionFields, SubmissionInput, SubmissionInvalid } from '@elemta/schema';
import addressparser from 'nodemailer/lib/addressparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { headerBlock, parseHeaders } from '../smtp/header-summary.js';

export type SubmissionLimits = Readonly<{ maxMessageSize: number; maxRecipients: number }>;

/** A submission that passed every check: the message bytes (CRLF line ends) and the envelope. */
export type PreparedSubmission = Readonly<{ kind: 'prepared'; body: Buffer; mailFrom: string; rcptTo: string[] }>;

class Invalid extends Error {
  constructor(readonly code: string, message: string, readonly field: string) {
    super(message);
  }
}

const HEADER_NAME = /^[!-9;-~]+$/; // RFC 5322 §2.2: printable ASCII except the colon
const MESSAGE_ID = /^<[^<>\s@]+@[^<>\s@]+>$/;

/** Bare addresses of an address-list header value or input (`Name <a@b>, c@d`); an entry without one is refused. */
const addressesOf = (value: string, field: string): string[] =>
  addressparser(value, { flatten: true }).map((a) => {
    if (!a.address) throw new Invalid('INVALID_ADDRESS', `not an address: ${JSON.stringify(a.name || value)}`, field);
    return a.address;
  });

const checkMailbox = (address: string, field: string): void => {
  // ASCII only, as over SMTP without SMTPUTF8: delivery does not ask peers for SMTPUTF8 on behalf of API messages.
  const problem = mailboxProblem(address, { utf8: false });
  if (problem) throw new Invalid('INVALID_ADDRESS', `${JSON.stringify(address)}: ${problem}`, field);
};

const checkSize = (body: Buffer, limits: SubmissionLimits, field: string): void => {
  if (body.byteLength > limits.maxMessageSize) {
    throw new Invalid('MESSAGE_TOO_LARGE', `the message is ${body.byteLength} bytes; the limit is ${limits.maxMessageSize}`, field);
  }
};

/** RFC 5322 wants CRLF; JSON clients often send LF. */
const withCrlf = (text: string): string => text.replace(/\r?\n/g, '\r\n');

/** The header block without one field (and its continuation lines). */
const withoutHeader = (body: Buffer, name: string): Buffer => {
  const block = headerBlock(body);
  const kept = block.split('\r\n').reduce<{ lines: string[]; skipping: boolean }>((acc, line) => {
    const continuation = /^[ \t]/.test(line);
    const skipping = continuation ? acc.skipping : line.toLowerCase().startsWith(`${name}:`);
    if (!skipping) acc.lines.push(line);
    return { lines: acc.lines, skipping };
  }, { lines: [], skipping: false }).lines.join('\r\n');
  return Buffer.concat([Buffer.from(kept), body.subarray(Buffer.byteLength(block))]);
};

const fromRaw = (raw: string, limits: SubmissionLimits, derive: boolean) => {
  if (raw.trim() === '') throw new Invalid('EMPTY_MESSAGE', 'raw is empty', 'raw');
  const body = Buffer.from(withCrlf(raw), 'utf8');
  checkSize(body, limits, 'raw');
  if (!derive) return { body, from: null, to: [] };
  const headers = parseHeaders(headerBlock(body));
  const from = headers.get('from');
  if (from === undefined) throw new Invalid('NO_SENDER', 'no envelope given and the message has no From header', 'raw');
  // RFC 5322 §3.6 allows one To, one Cc and one Bcc field
  const to = ['to', 'cc', 'bcc'].flatMap((name) => addressesOf(headers.get(name) ?? '', 'raw'));
  return { body: headers.has('bcc') ? withoutHeader(body, 'bcc') : body, from: addressesOf(from, 'raw')[0] ?? null, to };
};

const fromFields = async (fields: SubmissionFields, limits: SubmissionLimits) => {
  const recipients = (['to', 'cc', 'bcc'] as const).flatMap((name) => fields[name].flatMap((entry) => addressesOf(entry, `message.${name}`)
    .map((address) => { checkMailbox(address, `message.${name}`); return address; })));
  const [from] = addressesOf(fields.from, 'message.from');
  if (!from) throw new Invalid('NO_SENDER', 'message.from is empty', 'message.from');
  checkMailbox(from, 'message.from');
  for (const h of fields.headers) {
    if (!HEADER_NAME.test(h.name)) throw new Invalid('INVALID_HEADER', `not a header name: ${JSON.stringify(h.name)}`, 'message.headers');
    if (/[\r\n]/.test(h.value)) throw new Invalid('INVALID_HEADER', `the value of ${h.name} has a line break`, 'message.headers');
  }
  if (fields.messageId !== null && !MESSAGE_ID.test(fields.messageId)) {
    throw new Invalid('INVALID_MESSAGE_ID', 'messageId must look like <left@right>', 'message.messageId');
  }
  const node = new MailComposer({
    from: fields.from, to: [...fields.to], cc: [...fields.cc], bcc: [...fields.bcc],
    ...(fields.subject !== null ? { subject: fields.subject } : {}), ...(fields.text !== null ? { text: fields.text } : {}),
    ...(fields.html !== null ? { html: fields.html } : {}), ...(fields.messageId !== null ? { messageId: fields.messageId } : {}),
    headers: fields.headers.map((h) => ({ key: h.name, value: h.value })),
  }).compile();
  const body = await node.build(); // Bcc is left out of the headers; it stays in the envelope
  checkSize(body, limits, 'message');
  return { body, from, to: recipients };
};

/** Recipients once each (case-insensitively), in the order given. */
const unique = (addresses: readonly string[]): string[] => {
  const seen = new Set<string>();
  return addresses.filter((a) => !seen.has(a.toLowerCase()) && seen.add(a.toLowerCase()));
};

type EnvelopeFields = Readonly<{ from: string; to: string }>;

const checkEnvelope = (mailFrom: string, rcptTo: readonly string[], limits: SubmissionLimits, fields: EnvelopeFields): void => {
  checkMailbox(mailFrom, fields.from);
  if (rcptTo.length === 0) throw new Invalid('NO_RECIPIENTS', 'the message has no recipients', fields.to);
  if (rcptTo.length > limits.maxRecipients) {
    throw new Invalid('TOO_MANY_RECIPIENTS', `${rcptTo.length} recipients; the limit is ${limits.maxRecipients}`, fields.to);
  }
  for (const address of rcptTo) checkMailbox(address, fields.to);
};

/** The input fields an envelope problem is reported against: the envelope, or the content it was taken from. */
const envelopeFields = (input: SubmissionInput): EnvelopeFields => {
  if (input.envelope !== null) return { from: 'envelope.from', to: 'envelope.to' };
  return input.content.kind === 'raw' ? { from: 'raw', to: 'raw' } : { from: 'message.from', to: 'message.to' };
};

/**
 * Builds the message of a submission (the raw text, or MIME composed from its fields) and its envelope (given, or
 * from the content's From, To, Cc and Bcc; a derived Bcc header is removed), and checks them as SMTP would: the
 * addresses' syntax (RFC 5321 §4.1.2), at least one and at most `maxRecipients` recipients, at most
 * `maxMessageSize` bytes. Stores nothing.
 */
export const prepareSubmission = async (input: SubmissionInput, limits: SubmissionLimits): Promise<PreparedSubmission | SubmissionInvalid> => {
  try {
    const derive = input.envelope === null;
    const content = input.content.kind === 'raw'
      ? fromRaw(input.content.raw, limits, derive)
      : await fromFields(input.content.fields, limits);
    const mailFrom = input.envelope?.from ?? content.from ?? '';
    const rcptTo = unique(input.envelope?.to ?? content.to);
    checkEnvelope(mailFrom, rcptTo, limits, envelopeFields(input));
    return { kind: 'prepared', body: content.body, mailFrom, rcptTo };
  } catch (err) {
    if (err instanceof Invalid) return { kind: 'invalid', code: err.code, field: err.field, message: err.message };
    throw err;
  }
};
