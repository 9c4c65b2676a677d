/**
 * Mailbox syntax of RFC 5321 §4.1.2 (with RFC 6531 UTF-8 when the client asked for SMTPUTF8).
 * Returns null when the address is acceptable, else the reason.
 */
export const mailboxProblem = (address: string, options: { utf8: boolean }): string | null => {
  if (address.length > 254) return 'address longer than 254 characters';
  const at = address.lastIndexOf('@');
  if (at <= 0) return 'address has no local part or no domain';
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length > 64) return 'local part longer than 64 characters';
  if (!options.utf8 && /[^\x00-\x7f]/.test(address)) return 'non-ASCII address without SMTPUTF8';
  if (!isDotAtom(local) && !isQuotedString(local)) return 'invalid local part';
  if (!isDomain(domain) && !isAddressLiteral(domain)) return 'invalid domain';
  return null;
};

// atext of RFC 5322 §3.2.3, plus any non-ASCII character (RFC 6532)
const atom = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~\\-\\u0080-\\uFFFF]+";
const dotAtom = new RegExp(`^${atom}(\\.${atom})*$`);
const isDotAtom = (s: string): boolean => dotAtom.test(s);
const isQuotedString = (s: string): boolean => /^"([\x20\x21\x23-\x5b\x5d-\x7e\u0080-\uffff]|\\[\x20-\x7e])*"$/.test(s);

const label = /^[A-Za-z0-9\u0080-\uffff]([A-Za-z0-9\u0080-\uffff-]{0,61}[A-Za-z0-9\u0080-\uffff])?$/;
const isDomain = (s: string): boolean =>
  s.length > 0 && s.length <= 253 && s.split('.').every((part) => label.test(part));
const isAddressLiteral = (s: string): boolean =>
  /^\[(\d{1,3}(\.\d{1,3}){3}|IPv6:[0-9A-Fa-f:.]+)\]$/.test(s);
