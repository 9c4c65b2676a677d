import type { SmtpReply } from '../events/common.js';

/** One recipient line of a DSN (RFC 3464 §2.3). */
export type DsnRecipient = Readonly<{
  address: string;
  /** `failed` for bounces and expiries. */
  action: 'failed' | 'delayed';
  /** The last reply from the remote side, if any. */
  reply: SmtpReply | null;
  /** Why, in words, when there is no reply (e.g. "maximum queue time of 5 days reached"). */
  reason: string;
  remoteMta: string | null;
  lastAttemptAt: string | null;
}>;

export type DsnInput = Readonly<{
  dsnMessageId: string;
  /** Our host name: Reporting-MTA, the From domain and the Message-ID domain. */
  reportingMta: string;
  /** The original envelope sender; the DSN goes to it. */
  to: string;
  originalMessageId: string;
  arrivalDate: string;
  now: string;
  recipients: readonly DsnRecipient[];
  /** The original message's header block (attached as text/rfc822-headers; RFC 3462 §2). */
  originalHeaders: string;
}>;

const CRLF = '\r\n';
// RFC 6533: internationalised addresses need the utf-8 address type and the global report types.
const isAscii = (s: string) => /^[\x00-\x7f]*$/.test(s);
/** RFC 5322 §3.3 date-time in UTC. */
export const rfc5322Date = (iso: string): string => new Date(iso).toUTCString().replace(/GMT$/, '+0000');
const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ').slice(0, 900);

/** The status code of a recipient: the reply's enhanced code, else one from its class (RFC 3463). */
const statusOf = (r: DsnRecipient): string => {
  if (r.reply?.enhancedCode) return r.reply.enhancedCode;
  if (r.reply) return r.reply.code >= 500 ? '5.0.0' : '4.0.0';
  return r.action === 'failed' ? '5.4.7' : '4.4.7';
};

const humanPart = (input: DsnInput): string[] => [
  `This is the mail system at host ${input.reportingMta}.`,
  '',
  `Your message ${input.originalMessageId} could not be delivered to one or more recipients.`,
  'The mail system said:',
  '',
  ...input.recipients.map((r) => `<${r.address}>: ${oneLine(r.reply ? `${r.reply.code} ${r.reply.enhancedCode ?? ''} ${r.reply.text}`.replace(/  +/g, ' ') : r.reason)}`),
];

const recipientFields = (r: DsnRecipient): string[] => [
  `Final-Recipient: ${isAscii(r.address) ? 'rfc822' : 'utf-8'}; ${r.address}`,
  `Action: ${r.action}`,
  `Status: ${statusOf(r)}`,
  ...(r.remoteMta ? [`Remote-MTA: dns; ${oneLine(r.remoteMta)}`] : []),
  r.reply
    ? `Diagnostic-Code: smtp; ${oneLine(`${r.reply.code} ${r.reply.enhancedCode ?? ''} ${r.reply.text}`.replace(/  +/g, ' '))}`
    : `Diagnostic-Code: x-elemta; ${oneLine(r.reason)}`,
  ...(r.lastAttemptAt ? [`Last-Attempt-Date: ${rfc5322Date(r.lastAttemptAt)}`] : []),
];

/**
 * A delivery status notification (RFC 3464) as a complete RFC 5322 message with CRLF line ends: multipart/report with
 * a human-readable part, message/delivery-status and the original headers. Pure: the boundary comes from the DSN id.
 */
export const composeDsn = (input: DsnInput): string => {
  const global = !isAscii(input.to) || input.recipients.some((r) => !isAscii(r.address));
  const boundary = `=_elemta-dsn-${input.dsnMessageId.replace(/[^A-Za-z0-9]/g, '')}`;
  const headers = input.originalHeaders.replace(/\r?\n/g, CRLF).replace(/(\r\n)+$/, '');
  const lines = [
    `From: Mail Delivery System <MAILER-DAEMON@${input.reportingMta}>`,
    `To: <${input.to}>`,
    'Subject: Undelivered Mail Returned to Sender',
    `Date: ${rfc5322Date(input.now)}`,
    `Message-ID: <${input.dsnMessageId}@${input.reportingMta}>`,
    'Auto-Submitted: auto-replied', // RFC 3834: never answered automatically
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=${global ? 'global-delivery-status' : 'delivery-status'};`,
    `\tboundary="${boundary}"`,
    '',
    'This is a MIME-encapsulated message.',
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    ...humanPart(input),
    '',
    `--${boundary}`,
    `Content-Type: message/${global ? 'global-delivery-status' : 'delivery-status'}`,
    '',
    `Reporting-MTA: dns; ${input.reportingMta}`,
    `X-Elemta-Message-ID: ${input.originalMessageId}`,
    `Arrival-Date: ${rfc5322Date(input.arrivalDate)}`,
    '',
    ...input.recipients.flatMap((r) => [...recipientFields(r), '']),
    `--${boundary}`,
    `Content-Type: ${global ? 'message/global-headers' : 'text/rfc822-headers'}`,
    '',
    headers,
    '',
    `--${boundary}--`,
    '',
  ];
  return lines.join(CRLF);
};
