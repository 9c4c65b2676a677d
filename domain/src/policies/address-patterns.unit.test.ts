import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.js';
import {
  addressPatternProblem, decideAccess, matchAddressAccess, parseAddressPattern, type AccessDecision, type AddressAccessList,
} from './address-patterns.js';

const lists = (allow: string[], deny: string[]): AddressAccessList =>
  ({ allow: allow.map(parseAddressPattern), deny: deny.map(parseAddressPattern) });

/** given(allow, deny).when(address).then(decision) */
const given = (allow: string[], deny: string[]) => ({
  when: (address: string) => ({
    then: (expected: AccessDecision) => expect(decideAccess(matchAddressAccess(lists(allow, deny), address))).toEqual(expected),
  }),
});

describe('address patterns', () => {
  it.each(['user@example.org', 'example.org', '@example.org', '*.example.org', 'user@', '<>', 'Example.ORG.', 'xn--bcher-kva.example'])(
    'accepts %j', (text) => expect(addressPatternProblem(text)).toBeNull());

  it.each([
    ['', /empty/], ['@', /bare/], ['*@example.org', /sub-domains/], ['*.*.example.org', /sub-domains/], ['user@*.example.org', /"\*"/],
    ['exa mple.org', /white space/], ['user@-bad-.org', /invalid domain/], ['not_a..domain', /not a domain/],
  ])('refuses %j', (text, problem) => expect(addressPatternProblem(text)).toMatch(problem));

  it('throws a DomainError naming the pattern when parsing a bad one', () =>
    expect(() => parseAddressPattern('*@example.org')).toThrow(DomainError));
});

describe('access decision', () => {
  it('denies a listed mailbox', () =>
    given([], ['spammer@example.org']).when('spammer@example.org').then({ verdict: 'deny', pattern: 'spammer@example.org' }));

  it('has no opinion on an address no entry matches', () =>
    given(['friend@example.org'], ['example.net']).when('someone@example.com').then({ verdict: 'none' }));

  it('matches domains and mailboxes case-insensitively, trailing dot included', () =>
    given([], ['Spammer@Example.ORG']).when('SPAMMER@example.org.').then({ verdict: 'deny', pattern: 'spammer@example.org' }));

  it('matches a whole domain written as "example.org" or "@example.org", but not its sub-domains', () => {
    given([], ['example.org']).when('a@example.org').then({ verdict: 'deny', pattern: 'example.org' });
    given([], ['@example.org']).when('b@EXAMPLE.org').then({ verdict: 'deny', pattern: '@example.org' });
    given([], ['example.org']).when('a@mail.example.org').then({ verdict: 'none' });
  });

  it('matches sub-domains with "*.example.org", but not the domain itself nor look-alike domains', () => {
    given([], ['*.example.org']).when('a@mx1.eu.example.org').then({ verdict: 'deny', pattern: '*.example.org' });
    given([], ['*.example.org']).when('a@example.org').then({ verdict: 'none' });
    given([], ['*.example.org']).when('a@badexample.org').then({ verdict: 'none' });
  });

  it('matches a local part at any domain with "user@"', () =>
    given([], ['postmaster@']).when('PostMaster@example.net').then({ verdict: 'deny', pattern: 'postmaster@' }));

  it('matches the null sender only with "<>"', () => {
    given([], ['<>']).when('').then({ verdict: 'deny', pattern: '<>' });
    given([], ['example.org', 'postmaster@']).when('').then({ verdict: 'none' });
  });

  it('lets an allowed mailbox through a denied domain (the most specific entry wins)', () =>
    given(['ceo@example.org'], ['example.org']).when('ceo@example.org').then({ verdict: 'allow', pattern: 'ceo@example.org' }));

  it('denies one mailbox of an allowed domain', () =>
    given(['example.org'], ['intern@example.org']).when('intern@example.org').then({ verdict: 'deny', pattern: 'intern@example.org' }));

  it('prefers the closest parent domain', () => {
    given(['*.eu.example.org'], ['*.example.org']).when('a@mx.eu.example.org').then({ verdict: 'allow', pattern: '*.eu.example.org' });
    given(['*.eu.example.org'], ['*.example.org']).when('a@mx.us.example.org').then({ verdict: 'deny', pattern: '*.example.org' });
  });

  it('ranks a domain entry above a bare local part (Postfix lookup order)', () =>
    given(['example.org'], ['abuse@']).when('abuse@example.org').then({ verdict: 'allow', pattern: 'example.org' }));

  it('denies when an allow and a deny entry are equally specific', () =>
    given(['example.org'], ['@example.org']).when('a@example.org').then({ verdict: 'deny', pattern: '@example.org' }));

  it('decides between client matches by the same rule (longer prefixes are more specific)', () => {
    expect(decideAccess([
      { verdict: 'deny', pattern: '10.0.0.0/8', specificity: 8 },
      { verdict: 'allow', pattern: '10.1.2.0/24', specificity: 24 },
    ])).toEqual({ verdict: 'allow', pattern: '10.1.2.0/24' });
    expect(decideAccess([])).toEqual({ verdict: 'none' });
  });
});
