import { parseIpAddress, type IpAddress } from './ip-address.js';

/**
 * The name to look up for `ip` in a DNS blocklist (RFC 5782): the IPv4 octets in reverse order, or the
 * 32 nibbles of an IPv6 address in reverse order, followed by the zone.
 */
export const dnsblQueryName = (ip: IpAddress, zone: string): string => {
  const labels = ip.family === 4
    ? [...ip.bytes].reverse().map(String)
    : ip.bytes.flatMap((b) => [(b >> 4).toString(16), (b & 0xf).toString(16)]).reverse();
  return `${labels.join('.')}.${zone.replace(/\.$/, '')}`;
};

export type DnsblAnswer =
  | Readonly<{ listed: true; codes: readonly string[] }>
  | Readonly<{ listed: false; errorCodes: readonly string[] }>;

const isListingCode = (address: string): boolean => {
  const ip = parseIpAddress(address);
  if (!ip || ip.family !== 4 || ip.bytes[0] !== 127) return false; // RFC 5782: listings are A records in 127.0.0.0/8
  if (address === '127.0.0.1') return false; // what some lists answer for errors, never a listing
  return !(ip.bytes[1] === 255 && ip.bytes[2] === 255); // 127.255.255.0/24: Spamhaus-style "your query was refused"
};

/**
 * What a blocklist's A records say about a client. With `returnCodes`, only those codes count as listings (lists
 * that return one code per reason, e.g. only 127.0.0.2–127.0.0.3 of a combined list). Without, any 127.0.0.0/8 code
 * but 127.0.0.1 and 127.255.255.x counts. Anything else (an address outside 127/8, as a lapsed zone's wildcard
 * gives, or an error code) is returned in `errorCodes`: not a listing, but worth a warning.
 */
export const classifyDnsblAnswer = (addresses: readonly string[], returnCodes: readonly string[] | null): DnsblAnswer => {
  const codes = addresses.filter((a) => (returnCodes ? returnCodes.includes(a) : isListingCode(a)));
  if (codes.length > 0) return { listed: true, codes };
  return { listed: false, errorCodes: addresses.filter((a) => !isListingCode(a)) };
};

/**
 * The reason a blocklist published for a listing (its TXT record), made fit for one line of an SMTP reply: printable
 * ASCII only, white space collapsed, at most `max` characters. Null when nothing is left.
 */
export const dnsblReason = (txt: readonly (readonly string[])[], max = 200): string | null => {
  const text = txt.map((strings) => strings.join('')).join(' ')
    .replace(/[^\x20-\x7e]+/g, ' ').replace(/\s+/g, ' ').trim();
  if (text === '') return null;
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
};

/** The reply text for a blocked client (the wording of Postfix's `reject_rbl_client`, which clients' users know). */
export const dnsblReplyText = (clientAddress: string, zone: string, reason: string | null, temporary: boolean): string =>
  `Service ${temporary ? 'temporarily ' : ''}unavailable; client [${clientAddress}] blocked using ${zone}${reason ? `; ${reason}` : ''}`;
