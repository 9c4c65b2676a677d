import { describe, expect, it } from 'vitest';
import { composeDsn, rfc5322Date, type DsnInput, type DsnRecipient } from './compose-dsn.js';

const userUnknown = { code: 550, enhancedCode: '5.1.1', text: 'User unknown in virtual mailbox table', command: 'RCPT TO' };
const originalHeaders = 'From: Alice <alice@example.org>\nTo: bob@example.net\nSubject: Quarterly report\nMessage-ID: <1@example.org>\n\n';

const bouncedBob: DsnRecipient = {
  address: 'bob@example.net', action: 'failed', reply: userUnknown, reason: 'User unknown in virtual mailbox table',
  remoteMta: 'mx.example.net', lastAttemptAt: '2026-11-20T10:05:00.000Z',
};
const expiredCarol: DsnRecipient = {
  address: 'carol@example.com', action: 'failed', reply: null, reason: 'maximum queue time of 5 days reached',
  remoteMta: null, lastAttemptAt: null,
};
const input = (overrides: Partial<DsnInput> = {}): DsnInput => ({
  dsnMessageId: '0190f3c2-0000-7000-8000-0000000000d5',
  reportingMta: 'mta.elemta.test',
  to: 'alice@example.org',
  originalMessageId: '0190f3c2-0000-7000-8000-000000000001',
  arrivalDate: '2026-11-20T10:00:00.000Z',
  now: '2026-11-20T10:05:01.000Z',
  recipients: [bouncedBob],
  originalHeaders,
  ...overrides,
});

type Part = Readonly<{ contentType: string; body: string }>;
/** A tiny MIME reader: the top-level headers (unfolded) and the parts between the boundaries. */
const parse = (message: string) => {
  const split = message.indexOf('\r\n\r\n');
  const headers = message.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'im').exec(headers)?.[1] ?? null;
  const boundary = /boundary="([^"]+)"/.exec(header('Content-Type') ?? '')?.[1];
  if (!boundary) throw new Error('no boundary');
  const segments = message.slice(split + 4).split(`\r\n--${boundary}`);
  const closing = segments.pop();
  const parts: Part[] = segments.slice(1).map((segment) => {
    const [head = '', ...body] = segment.replace(/^\r\n/, '').split('\r\n\r\n');
    return { contentType: /^Content-Type: (.*)$/im.exec(head)?.[1] ?? '', body: body.join('\r\n\r\n') };
  });
  return { header, parts, closing };
};
/** The per-recipient field blocks of the delivery-status part. */
const recipientBlocks = (status: Part) =>
  status.body.replace(/(\r\n)+$/, '').split('\r\n\r\n').slice(1);

describe('composeDsn', () => {
  it('uses CRLF line ends only, even for original headers with bare LF', () => {
    const dsn = composeDsn(input());
    expect(dsn).not.toMatch(/[^\r]\n|^\n/);
    expect(dsn).not.toMatch(/\r(?!\n)/);
    expect(dsn.endsWith('\r\n')).toBe(true);
  });

  it('is a multipart/report of type delivery-status with a text, a status and a headers part', () => {
    const { header, parts, closing } = parse(composeDsn(input()));
    expect(header('Content-Type')).toMatch(/^multipart\/report; report-type=delivery-status; boundary="/);
    expect(parts.map((p) => p.contentType)).toEqual(['text/plain; charset=utf-8', 'message/delivery-status', 'text/rfc822-headers']);
    expect(closing).toBe('--\r\n');
  });

  it('is addressed from the mailer daemon to the original sender and marked auto-replied', () => {
    const { header } = parse(composeDsn(input()));
    expect([header('From'), header('To'), header('Auto-Submitted'), header('Message-ID'), header('Date'), header('MIME-Version')]).toEqual([
      'Mail Delivery System <MAILER-DAEMON@mta.elemta.test>', '<alice@example.org>', 'auto-replied',
      '<0190f3c2-0000-7000-8000-0000000000d5@mta.elemta.test>', 'Fri, 20 Nov 2026 10:05:01 +0000', '1.0',
    ]);
  });

  it('reports a bounced recipient with the status and diagnostic of the remote reply', () => {
    const [, status] = parse(composeDsn(input())).parts;
    expect(status!.body.split('\r\n\r\n')[0]!.split('\r\n')).toEqual([
      'Reporting-MTA: dns; mta.elemta.test',
      'X-Elemta-Message-ID: 0190f3c2-0000-7000-8000-000000000001',
      'Arrival-Date: Fri, 20 Nov 2026 10:00:00 +0000',
    ]);
    expect(recipientBlocks(status!).map((b) => b.split('\r\n'))).toEqual([[
      'Final-Recipient: rfc822; bob@example.net',
      'Action: failed',
      'Status: 5.1.1',
      'Remote-MTA: dns; mx.example.net',
      'Diagnostic-Code: smtp; 550 5.1.1 User unknown in virtual mailbox table',
      'Last-Attempt-Date: Fri, 20 Nov 2026 10:05:00 +0000',
    ]]);
  });

  it('gives an expired recipient without a reply status 5.4.7 and the reason as diagnostic', () => {
    const [, status] = parse(composeDsn(input({ recipients: [bouncedBob, expiredCarol] }))).parts;
    expect(recipientBlocks(status!)[1]!.split('\r\n')).toEqual([
      'Final-Recipient: rfc822; carol@example.com',
      'Action: failed',
      'Status: 5.4.7',
      'Diagnostic-Code: x-elemta; maximum queue time of 5 days reached',
    ]);
  });

  it('derives the status from the reply class when the reply has no enhanced code', () => {
    const [, status] = parse(composeDsn(input({ recipients: [{ ...bouncedBob, reply: { ...userUnknown, enhancedCode: null } }] }))).parts;
    expect(recipientBlocks(status!)[0]).toContain('\r\nStatus: 5.0.0\r\n');
    expect(recipientBlocks(status!)[0]).toContain('\r\nDiagnostic-Code: smtp; 550 User unknown in virtual mailbox table');
  });

  it('explains each recipient in the human-readable part', () => {
    const [text] = parse(composeDsn(input({ recipients: [bouncedBob, expiredCarol] }))).parts;
    expect(text!.body).toContain('Your message 0190f3c2-0000-7000-8000-000000000001 could not be delivered');
    expect(text!.body).toContain('<bob@example.net>: 550 5.1.1 User unknown in virtual mailbox table\r\n');
    expect(text!.body).toContain('<carol@example.com>: maximum queue time of 5 days reached');
  });

  it('attaches the original headers, with CRLF line ends', () => {
    const [, , headers] = parse(composeDsn(input())).parts;
    expect(headers!.body).toBe('From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: Quarterly report\r\nMessage-ID: <1@example.org>\r\n');
  });

  it('switches to the utf-8 address type and the global report types for a UTF-8 recipient', () => {
    const dsn = composeDsn(input({ recipients: [{ ...bouncedBob, address: 'jörg@bücher.example' }] }));
    const { header, parts } = parse(dsn);
    expect(header('Content-Type')).toMatch(/^multipart\/report; report-type=global-delivery-status; /);
    expect(parts.map((p) => p.contentType)).toEqual(['text/plain; charset=utf-8', 'message/global-delivery-status', 'message/global-headers']);
    expect(recipientBlocks(parts[1]!)[0]).toMatch(/^Final-Recipient: utf-8; jörg@bücher\.example\r\n/);
  });

  it('keeps ASCII recipients on the rfc822 address type in a global report', () => {
    const { parts } = parse(composeDsn(input({ to: 'jörg@bücher.example' })));
    expect([parts[1]!.contentType, recipientBlocks(parts[1]!)[0]!.split('\r\n')[0]])
      .toEqual(['message/global-delivery-status', 'Final-Recipient: rfc822; bob@example.net']);
  });

  it('cannot be made to carry extra header lines by CR/LF in a reply text', () => {
    const evil = { ...userUnknown, text: 'User unknown\r\nBcc: victim@example.com\nX-Injected: yes\r\n\r\nbody' };
    const dsn = composeDsn(input({ recipients: [{ ...bouncedBob, reply: evil, reason: evil.text }] }));
    const lines = dsn.split('\r\n');
    expect(lines.filter((l) => /^(Bcc|X-Injected):/.test(l))).toEqual([]);
    expect(lines).toContain('Diagnostic-Code: smtp; 550 5.1.1 User unknown Bcc: victim@example.com X-Injected: yes body');
    expect(parse(dsn).parts).toHaveLength(3);
  });

  it('keeps the boundary to safe characters taken from the DSN id', () => {
    const { header } = parse(composeDsn(input({ dsnMessageId: 'a/b c"d' })));
    expect(header('Content-Type')).toMatch(/boundary="=_elemta-dsn-abcd"$/);
  });
});

describe('rfc5322Date', () => {
  it('formats an ISO timestamp as an RFC 5322 date in UTC', () =>
    expect(rfc5322Date('2026-11-20T11:00:00+01:00')).toBe('Fri, 20 Nov 2026 10:00:00 +0000'));
});
