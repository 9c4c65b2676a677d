import { Packet } from 'dns2';

/** The record types this client asks for and decodes. */
export type RRType = 'A' | 'AAAA' | 'MX' | 'TXT' | 'CNAME' | 'PTR' | 'NS' | 'SOA';

type Owner = Readonly<{ name: string; ttl: number }>;
/** A decoded resource record; owner names and domain-valued fields are lower case without a trailing dot. */
export type DnsRecord =
  | (Owner & Readonly<{ type: 'A'; address: string }>)
  | (Owner & Readonly<{ type: 'AAAA'; address: string }>)
  | (Owner & Readonly<{ type: 'MX'; exchange: string; priority: number }>)
  | (Owner & Readonly<{ type: 'TXT'; strings: readonly string[] }>)
  | (Owner & Readonly<{ type: 'CNAME'; target: string }>)
  | (Owner & Readonly<{ type: 'PTR'; target: string }>)
  | (Owner & Readonly<{ type: 'NS'; target: string }>)
  | (Owner & Readonly<{ type: 'SOA'; primary: string; admin: string; serial: number; minimum: number }>);
/** The records of one type. */
export type RecordOf<T extends RRType> = Extract<DnsRecord, { type: T }>;

/** The parts of a DNS response the resolver acts on; records of types not in `RRType` are left out. */
export type DnsResponse = Readonly<{
  id: number;
  isResponse: boolean;
  rcode: string;
  truncated: boolean;
  question: Readonly<{ name: string; type: number; class: number }> | null;
  answers: readonly DnsRecord[];
  authorities: readonly DnsRecord[];
}>;

/** A message that is not a usable DNS response. */
export class MalformedDnsMessageError extends Error {
  override readonly name = 'MalformedDnsMessageError';
}

// DNS Flag Day 2020 default: 1232 octets avoids IP fragmentation on almost every path (RFC 6891 §6.2.5).
export const EDNS_UDP_PAYLOAD_SIZE = 1232;

const RCODE_NAME = new Map<number, string>(Object.entries(Packet.RCODE).reverse().map(([name, code]) => [code, name]));
/** The mnemonic of a response code (`NOERROR`, `SERVFAIL`, …), or `RCODE<n>` for unassigned ones. */
export const rcodeName = (rcode: number): string => RCODE_NAME.get(rcode) ?? `RCODE${rcode}`;

/** A domain name as we compare it: lower case, no trailing dot. */
export const canonicalName = (name: string): string => (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase();

/**
 * A recursive query (RD set) for `name`/`type` in class IN with the given 16-bit `id`.
 * With `edns`, an OPT record advertises a 1232-octet UDP payload (RFC 6891) so that most answers fit without TCP.
 */
export const encodeQuery = (id: number, name: string, type: RRType, edns: boolean): Buffer => {
  const packet = new Packet();
  packet.header.id = id;
  packet.header.rd = 1;
  packet.questions.push(new Packet.Question(name, Packet.TYPE[type], Packet.CLASS.IN));
  if (edns) packet.additionals.push(Packet.Resource.EDNS([], { udpPayloadSize: EDNS_UDP_PAYLOAD_SIZE }));
  return packet.toBuffer();
};

/**
 * Decodes a response. Throws `MalformedDnsMessageError` when the header or the question cannot be read or a record
 * breaks the framing of the rest; a record whose own data is bad is skipped (its RDLENGTH still frames the next one).
 */
export const decodeResponse = (message: Buffer): DnsResponse => {
  let packet: Packet;
  try {
    packet = Packet.parse(message);
  } catch (cause) {
    throw new MalformedDnsMessageError(`undecodable DNS message: ${(cause as Error).message}`, { cause });
  }
  const fatal = packet.errors.find((e) => !e.recovered);
  if (fatal) throw new MalformedDnsMessageError(`undecodable DNS message: ${fatal.message}`, { cause: fatal });
  const question = packet.questions[0];
  return {
    id: packet.header.id,
    isResponse: packet.header.qr === 1,
    rcode: rcodeName(packet.header.rcode),
    truncated: packet.header.tc === 1,
    question: question ? { name: canonicalName(question.name), type: question.type, class: question.class } : null,
    answers: packet.answers.flatMap(toRecord),
    authorities: packet.authorities.flatMap(toRecord),
  };
};

/** Whether `response` answers the query we sent: same ID, QR set, and the same single question (RFC 5452 §9.1). */
export const answersQuery = (response: DnsResponse, id: number, name: string, type: RRType): boolean =>
  response.isResponse &&
  response.id === id &&
  response.question !== null &&
  response.question.name === canonicalName(name) &&
  response.question.type === Packet.TYPE[type] &&
  response.question.class === Packet.CLASS.IN;

type Resource = Packet['answers'][number];

const toRecord = (rr: Resource): DnsRecord[] => {
  if (rr.class !== Packet.CLASS.IN) return [];
  const owner = { name: canonicalName(rr.name), ttl: rr.ttl };
  switch (Packet.TYPE_NAME[rr.type]) {
    case 'A': return [{ ...owner, type: 'A', address: String(rr.address) }];
    case 'AAAA': return [{ ...owner, type: 'AAAA', address: String(rr.address) }];
    case 'MX': return [{ ...owner, type: 'MX', exchange: canonicalName(rr.exchange ?? ''), priority: rr.priority ?? 0 }];
    case 'TXT': return [{ ...owner, type: 'TXT', strings: Array.isArray(rr.data) ? rr.data.map(String) : [String(rr.data ?? '')] }];
    case 'CNAME': return [{ ...owner, type: 'CNAME', target: canonicalName(rr.domain ?? '') }];
    case 'PTR': return [{ ...owner, type: 'PTR', target: canonicalName(rr.domain ?? '') }];
    case 'NS': return [{ ...owner, type: 'NS', target: canonicalName(rr.ns ?? '') }];
    case 'SOA': return [{
      ...owner, type: 'SOA', primary: canonicalName(rr.primary ?? ''), admin: canonicalName(rr.admin ?? ''),
      serial: rr.serial ?? 0, minimum: rr.minimum ?? 0,
    }];
    default: return [];
  }
};
