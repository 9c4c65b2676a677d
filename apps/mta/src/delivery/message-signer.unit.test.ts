import type { MessageAccepted } from '@elemta/domain';
import { describe, expect, it } from 'vitest';
import { networkMatcher } from '../smtp/relay-control.js';
import { domainOfAddress, domainOfFromHeader, signingDecision, type SigningPolicy } from './message-signer.js';

type Accepted = MessageAccepted['data'];

const accepted = (over: Partial<Accepted> & { from?: string | null }): Accepted => ({
  messageId: 'm1', sessionId: 's1', envelope: { mailFrom: 'alice@example.org', rcptTo: ['bob@dest.test'], params: {} },
  sizeBytes: 100, bodySha256: '0'.repeat(64), bodyRef: 'ref',
  headers: { from: over.from === undefined ? 'Alice <alice@example.org>' : over.from, to: null, subject: null, messageId: null, date: null },
  authentication: null, client: { address: '192.0.2.10', port: 40000, reverseDns: null, helo: 'client.test' },
  listener: 'mx', authUser: null, tls: null, annotations: {}, acceptedAt: '2026-01-01T00:00:00.000Z', ...over,
});

const policy = (over: Partial<SigningPolicy> = {}): SigningPolicy => ({
  dkimDomains: new Set(['example.org', 'bounces.example.net']), arc: true, isTrustedClient: networkMatcher(['127.0.0.0/8', '10.0.0.0/8']), ...over,
});

const fromInside = { client: { address: '10.1.2.3', port: 1, reverseDns: null, helo: null } };

describe('signingDecision', () => {
  it('given mail from an authenticated user, when its From domain has a key, then DKIM signs as the From domain', () => {
    expect(signingDecision(accepted({ authUser: 'alice' }), policy())).toEqual({ kind: 'dkim', domain: 'example.org' });
  });

  it('given mail from a trusted network, when only the envelope sender domain has a key, then that domain signs', () => {
    const message = accepted({ ...fromInside, from: 'Newsletter <news@other.test>', envelope: { mailFrom: 'b@Bounces.Example.NET', rcptTo: ['x@y.test'], params: {} } });
    expect(signingDecision(message, policy())).toEqual({ kind: 'dkim', domain: 'bounces.example.net' });
  });

  it('given a DSN made by Elemta (no client), then it is signed like our own mail', () => {
    const dsn = accepted({ client: null, listener: 'dsn', from: 'Mail Delivery System <MAILER-DAEMON@example.org>', envelope: { mailFrom: '', rcptTo: ['a@b.test'], params: {} } });
    expect(signingDecision(dsn, policy())).toEqual({ kind: 'dkim', domain: 'example.org' });
  });

  it('given a sub-domain of a keyed domain, then nothing signs: sub-domains do not inherit', () => {
    const message = accepted({ authUser: 'alice', from: 'a@mail.example.org', envelope: { mailFrom: 'a@mail.example.org', rcptTo: ['x@y.test'], params: {} } });
    expect(signingDecision(message, policy())).toEqual({ kind: 'none', reason: 'no DKIM key for the From or envelope sender domain' });
  });

  it('given mail from outside that claims our From domain, then it is ARC-sealed, never DKIM-signed', () => {
    expect(signingDecision(accepted({}), policy())).toEqual({ kind: 'arc' });
    expect(signingDecision(accepted({}), policy({ arc: false }))).toEqual({ kind: 'none', reason: 'from outside, and no ARC key is configured' });
  });

  it('given a client on an IPv4-mapped IPv6 address in a trusted network, then it counts as inside', () => {
    const message = accepted({ client: { address: '::ffff:127.0.0.1', port: 1, reverseDns: null, helo: null } });
    expect(signingDecision(message, policy())).toEqual({ kind: 'dkim', domain: 'example.org' });
  });
});

describe('domainOfFromHeader', () => {
  it('takes the domain of the first mailbox, lower-cased', () => {
    expect(domainOfFromHeader('Alice <alice@Example.ORG>')).toBe('example.org');
    expect(domainOfFromHeader('alice@example.org (Alice)')).toBe('example.org');
    expect(domainOfFromHeader('"Smith, J. <j@evil.test>" <j@example.org>')).toBe('example.org');
    expect(domainOfFromHeader('a@first.test, B <b@second.test>')).toBe('first.test');
    expect(domainOfFromHeader('undisclosed')).toBeNull();
    expect(domainOfFromHeader(null)).toBeNull();
  });
});

describe('domainOfAddress', () => {
  it('is null for the null reverse-path', () => {
    expect(domainOfAddress('')).toBeNull();
    expect(domainOfAddress('a@example.org.')).toBe('example.org');
  });
});

describe('networkMatcher', () => {
  it('matches CIDR blocks and single addresses of both families', () => {
    const trusted = networkMatcher(['192.0.2.0/24', '2001:db8::/32', '198.51.100.7', '::1/128']);
    expect(['192.0.2.200', '2001:db8::5', '198.51.100.7', '::1', '::ffff:192.0.2.1'].map(trusted)).toEqual([true, true, true, true, true]);
    expect(['192.0.3.1', '198.51.100.8', '2001:db9::1', 'not-an-ip'].map(trusted)).toEqual([false, false, false, false]);
  });
});
