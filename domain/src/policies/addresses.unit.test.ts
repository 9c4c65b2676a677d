import { describe, expect, it } from 'vitest';
import { mailboxProblem } from './addresses.js';

describe('mailbox syntax (RFC 5321 §4.1.2)', () => {
  it.each(['a@example.org', 'first.last+tag@sub.example.org', '"john doe"@example.org', 'x@[127.0.0.1]', 'x@[IPv6:::1]'])(
    'accepts %s', (a) => expect(mailboxProblem(a, { utf8: false })).toBeNull());

  it.each([
    ['no-at-sign', /no local part/], ['@example.org', /no local part/], ['a@', /invalid domain/],
    ['a..b@example.org', /local part/], ['a@exa mple.org', /invalid domain/], ['a@-x.org', /invalid domain/],
    [`${'x'.repeat(65)}@example.org`, /64/], ['jörg@example.org', /SMTPUTF8/],
  ])('refuses %s', (a, reason) => expect(mailboxProblem(a, { utf8: false })).toMatch(reason));

  it('accepts UTF-8 when SMTPUTF8 was given', () => expect(mailboxProblem('jörg@exämple.org', { utf8: true })).toBeNull());
});
