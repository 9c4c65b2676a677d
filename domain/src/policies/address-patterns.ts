import { DomainError } from '../errors.js';

/**
 * One entry of a sender or recipient access list:
 * - `address`: `user@example.org`, that mailbox only;
 * - `domain`: `example.org` or `@example.org`, every mailbox of that domain (not of its sub-domains);
 * - `subdomains`: `*.example.org`, every mailbox of every sub-domain (not of example.org itself);
 * - `localPart`: `user@`, that local part at any domain;
 * - `nullSender`: `<>`, the null reverse-path of bounces (RFC 5321 §4.5.5).
 */
export type AddressPattern = Readonly<
  | { kind: 'address'; text: string; localPart: string; domain: string }
  | { kind: 'domain'; text: string; domain: string }
  | { kind: 'subdomains'; text: string; suffix: string }
  | { kind: 'localPart'; text: string; localPart: string }
  | { kind: 'nullSender'; text: string }
>;

const LABEL = /^[a-z0-9\u0080-\uffff_]([a-z0-9\u0080-\uffff_-]{0,61}[a-z0-9\u0080-\uffff_])?$/;
const isDomain = (s: string): boolean => s.length > 0 && s.length <= 253 && s.split('.').every((label) => LABEL.test(label));
const normalizeDomain = (domain: string): string => domain.toLowerCase().replace(/\.$/, '');

/** Why `text` is not an access-list pattern, or null when it is one. */
export const addressPatternProblem = (text: string): string | null => {
  const t = text.trim();
  if (t === '') return 'is empty';
  if (t === '<>') return null;
  if (/\s/.test(t)) return 'contains white space';
  if (t.startsWith('*.') && isDomain(normalizeDomain(t.slice(2)))) return null;
  if (t.includes('*')) {
    return 'may use "*" only as "*.example.org" (sub-domains); write "example.org" or "@example.org" for a whole domain';
  }
  const at = t.lastIndexOf('@');
  if (at < 0) return isDomain(normalizeDomain(t)) ? null : 'is not a domain, "@domain", "*.domain", "user@", "user@domain" or "<>"';
  const local = t.slice(0, at);
  const domain = normalizeDomain(t.slice(at + 1));
  if (local === '' && domain === '') return 'is a bare "@"';
  if (domain !== '' && !isDomain(domain)) return `has an invalid domain ${JSON.stringify(t.slice(at + 1))}`;
  return null;
};

/**
 * Parses an access-list pattern. Patterns are case-insensitive throughout, local parts included: like Postfix's
 * access tables, so that `SPAMMER@example.org` cannot slip past a deny entry for `spammer@example.org`.
 */
export const parseAddressPattern = (text: string): AddressPattern => {
  const problem = addressPatternProblem(text);
  if (problem) throw new DomainError('INVALID_ADDRESS_PATTERN', `${JSON.stringify(text)} ${problem}`);
  const t = text.trim().toLowerCase();
  if (t === '<>') return { kind: 'nullSender', text: t };
  if (t.startsWith('*.')) return { kind: 'subdomains', text: t, suffix: `.${normalizeDomain(t.slice(2))}` };
  const at = t.lastIndexOf('@');
  if (at < 0) return { kind: 'domain', text: t, domain: normalizeDomain(t) };
  const localPart = t.slice(0, at);
  const domain = normalizeDomain(t.slice(at + 1));
  if (localPart === '') return { kind: 'domain', text: t, domain };
  if (domain === '') return { kind: 'localPart', text: t, localPart };
  return { kind: 'address', text: t, localPart, domain };
};

/**
 * How specific a matching pattern is, or null when it does not match: the same order as Postfix's access-table
 * lookups (full address, then domain, then parent domains from the closest, then the bare local part).
 */
export const patternSpecificity = (pattern: AddressPattern, address: string): number | null => {
  const a = address.toLowerCase();
  if (pattern.kind === 'nullSender') return a === '' ? 4000 : null;
  if (a === '') return null;
  const at = a.lastIndexOf('@');
  const localPart = at < 0 ? a : a.slice(0, at);
  const domain = at < 0 ? '' : normalizeDomain(a.slice(at + 1));
  switch (pattern.kind) {
    case 'address': return pattern.localPart === localPart && pattern.domain === domain ? 4000 : null;
    case 'domain': return pattern.domain === domain ? 3000 : null;
    case 'subdomains': return domain.endsWith(pattern.suffix) ? 1000 + pattern.suffix.split('.').length : null;
    case 'localPart': return pattern.localPart === localPart ? 500 : null;
  }
};

/** One list entry that matched, with how specific it is (greater is more specific). */
export type AccessMatch = Readonly<{ verdict: 'allow' | 'deny'; pattern: string; specificity: number }>;

export type AccessDecision = Readonly<{ verdict: 'allow' | 'deny'; pattern: string }> | Readonly<{ verdict: 'none' }>;

/**
 * Decides between the allow and deny entries that matched: the most specific entry wins, so a list can deny a
 * domain and allow one mailbox in it (or the reverse); when an allow and a deny entry are equally specific, deny
 * wins. No match, no opinion.
 */
export const decideAccess = (matches: readonly AccessMatch[]): AccessDecision => {
  let best: AccessMatch | undefined;
  for (const match of matches) {
    if (!best || match.specificity > best.specificity || (match.specificity === best.specificity && match.verdict === 'deny')) best = match;
  }
  return best ? { verdict: best.verdict, pattern: best.pattern } : { verdict: 'none' };
};

export type AddressAccessList = Readonly<{ allow: readonly AddressPattern[]; deny: readonly AddressPattern[] }>;

/** The entries of `list` that match `address` (`''` is the null sender). */
export const matchAddressAccess = (list: AddressAccessList, address: string): AccessMatch[] =>
  (['allow', 'deny'] as const).flatMap((verdict) => list[verdict].flatMap((pattern) => {
    const specificity = patternSpecificity(pattern, address);
    return specificity === null ? [] : [{ verdict, pattern: pattern.text, specificity }];
  }));
