import { domainToASCII } from 'node:url';

/** A domain name that cannot be looked up: empty, too long, an empty label, a label over 63 octets, or characters outside LDH. */
export class InvalidDomainError extends Error {
  override readonly name = 'InvalidDomainError';
  constructor(readonly domain: string, reason: string) {
    super(`invalid domain name ${JSON.stringify(domain)}: ${reason}`);
  }
}

// RFC 5321 §4.1.2 sub-domain = Let-dig [Ldh-str]; RFC 1123 §2.1 allows a leading digit.
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/**
 * The canonical form we look up and cache under: lower case, A-labels for internationalised names
 * (RFC 5890), no trailing dot. Throws `InvalidDomainError` for anything DNS cannot carry
 * (RFC 1035 §2.3.4: labels of 1–63 octets, at most 253 characters) or that is no mail domain (LDH).
 */
export const normalizeDomainName = (domain: string): string => {
  const withoutRoot = domain.endsWith('.') ? domain.slice(0, -1) : domain;
  if (withoutRoot === '') throw new InvalidDomainError(domain, 'empty');
  const ascii = /^[\x00-\x7f]*$/.test(withoutRoot) ? withoutRoot.toLowerCase() : domainToASCII(withoutRoot);
  if (ascii === '') throw new InvalidDomainError(domain, 'not a valid internationalised name');
  if (ascii.length > 253) throw new InvalidDomainError(domain, 'longer than 253 characters');
  for (const label of ascii.split('.')) {
    if (label === '') throw new InvalidDomainError(domain, 'empty label');
    if (label.length > 63) throw new InvalidDomainError(domain, `label "${label.slice(0, 20)}…" is longer than 63 octets`);
    if (!LDH_LABEL.test(label)) throw new InvalidDomainError(domain, `label "${label}" is not letters, digits and inner hyphens`);
  }
  return ascii;
};
