/** An IP address as its bytes: 4 for IPv4, 16 for IPv6. */
export type IpAddress = Readonly<{ family: 4 | 6; bytes: readonly number[] }>;

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP = /^[0-9a-f]{1,4}$/i;

const parseIpv4 = (text: string): number[] | null => {
  const match = IPV4.exec(text);
  if (!match) return null;
  const bytes = match.slice(1).map((part) => (part.length > 1 && part.startsWith('0') ? NaN : Number(part)));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : null; // a leading zero reads as octal elsewhere: refuse it
};

const groupsOf = (part: string): number[] | null => {
  if (part === '') return [];
  const groups: number[] = [];
  const pieces = part.split(':');
  for (const [i, piece] of pieces.entries()) {
    if (i === pieces.length - 1 && piece.includes('.')) {
      const v4 = parseIpv4(piece); // RFC 4291 §2.2: the low 32 bits may be written as an IPv4 address
      if (!v4) return null;
      groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else if (HEX_GROUP.test(piece)) {
      groups.push(parseInt(piece, 16));
    } else {
      return null;
    }
  }
  return groups;
};

const parseIpv6 = (text: string): number[] | null => {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...Array<number>(missing).fill(0), ...tail];
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
};

const isV4Mapped = (bytes: readonly number[]): boolean =>
  bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;

/**
 * Parses an IPv4 or IPv6 address (RFC 4291 §2.2 text forms, no zone index). An IPv4 address mapped into IPv6
 * (`::ffff:192.0.2.1`, how dual-stack sockets report IPv4 peers) is returned as the IPv4 address it is, so that
 * policies keyed on it treat both forms alike. Null when the text is not an address.
 */
export const parseIpAddress = (text: string): IpAddress | null => {
  const v4 = parseIpv4(text);
  if (v4) return { family: 4, bytes: v4 };
  if (!text.includes(':')) return null;
  const v6 = parseIpv6(text);
  if (!v6) return null;
  return isV4Mapped(v6) ? { family: 4, bytes: v6.slice(12) } : { family: 6, bytes: v6 };
};

/** The address in its canonical text form: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as `::`). */
export const formatIpAddress = (ip: IpAddress): string => {
  if (ip.family === 4) return ip.bytes.join('.');
  const groups = Array.from({ length: 8 }, (_, i) => (ip.bytes[2 * i]! << 8) | ip.bytes[2 * i + 1]!);
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.length < 2) return hex.join(':'); // RFC 5952 §4.2.2: a single zero group is not shortened
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
};

/** The address with every bit after the first `prefixLength` cleared. */
export const maskIpAddress = (ip: IpAddress, prefixLength: number): IpAddress => {
  const bits = Math.max(0, Math.min(prefixLength, ip.bytes.length * 8));
  const bytes = ip.bytes.map((byte, i) => {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    return byte & ((0xff << (8 - keep)) & 0xff);
  });
  return { family: ip.family, bytes };
};

/** The network of the address as `address/prefix`, with the prefix length chosen by the address family. */
export const ipNetwork = (ip: IpAddress, prefixes: Readonly<{ ipv4: number; ipv6: number }>): string => {
  const prefix = ip.family === 4 ? prefixes.ipv4 : prefixes.ipv6;
  return `${formatIpAddress(maskIpAddress(ip, prefix))}/${prefix}`;
};
