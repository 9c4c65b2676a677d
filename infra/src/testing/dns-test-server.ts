import type { Socket as UdpSocket } from 'node:dgram';
import type { Server as TcpServer, Socket } from 'node:net';
import { createTCPServer, createUDPServer, Packet } from 'dns2';
import { freePort } from './free-port.js';

/** The records one name holds. A TXT value given as a string is split into ≤255-octet character-strings. */
export type TestDnsRecords = Readonly<{
  A?: readonly string[];
  AAAA?: readonly string[];
  MX?: readonly Readonly<{ exchange: string; priority: number }>[];
  TXT?: readonly (string | readonly string[])[];
  CNAME?: string;
  PTR?: readonly string[];
  NS?: readonly string[];
  /** Makes this name a zone apex: its SOA goes into negative answers for names under it. */
  SOA?: Readonly<{ primary?: string; admin?: string; serial?: number; minimum?: number }>;
  /** TTL of every record of this name, in seconds; default 300. */
  ttl?: number;
}>;
/** A name that answers with an error code, or (`TIMEOUT`) not at all, over UDP and TCP. */
export type TestDnsFailure = 'SERVFAIL' | 'REFUSED' | 'TIMEOUT';
export type TestDnsZones = Readonly<Record<string, TestDnsRecords | TestDnsFailure>>;
export type TestDnsQuery = Readonly<{ name: string; type: string; transport: 'udp' | 'tcp' }>;

/** A real authoritative-style DNS server on 127.0.0.1, UDP and TCP on one port. */
export type TestDnsServer = Readonly<{
  host: '127.0.0.1';
  port: number;
  /** `127.0.0.1:<port>`, the form resolvers take. */
  address: string;
  /** Replaces everything `name` holds (records or a failure mode). */
  setZone(name: string, records: TestDnsRecords | TestDnsFailure): void;
  removeZone(name: string): void;
  /** Every query received so far, in arrival order (names lower case). */
  readonly queries: readonly TestDnsQuery[];
  /** How many queries for `name` (of `type`, if given) arrived, over either transport. */
  queryCount(name: string, type?: string): number;
  clearQueries(): void;
  close(): Promise<void>;
}>;

export type TestDnsServerOptions = Readonly<{ negativeTtlSeconds?: number; defaultTtlSeconds?: number }>;

type Reply = Readonly<{ rcode: number; answers: Resource[]; authorities: Resource[] }> | 'drop';
type Resource = Packet['answers'][number];

/**
 * Starts a DNS server for tests. Answers are authoritative (AA): listed names answer their records (CNAMEs are
 * chased inside the zones), a listed name or an empty non-terminal without the asked type answers NODATA, and any
 * other name NXDOMAIN; negative answers carry an SOA (TTL and MINIMUM = `negativeTtlSeconds`, default 60) of the
 * closest enclosing name with an `SOA`, else of the name's last two labels. Answers over 512 octets (or the client's
 * EDNS size) go out over UDP truncated (TC), so clients must retry over TCP.
 */
export const startTestDnsServer = async (zones: TestDnsZones = {}, options: TestDnsServerOptions = {}): Promise<TestDnsServer> => {
  const table = new Map(Object.entries(zones).map(([name, value]) => [canonical(name), value] as const));
  const queries: TestDnsQuery[] = [];
  const answer = answerer(table, { negativeTtl: options.negativeTtlSeconds ?? 60, defaultTtl: options.defaultTtlSeconds ?? 300 });
  const handler = (transport: 'udp' | 'tcp') => (request: Packet, send: (response: Packet) => Promise<Buffer>) => {
    const question = request.questions[0];
    if (!question) return;
    const name = canonical(question.name);
    const type = Packet.typeName(question.type);
    queries.push({ name, type, transport });
    const reply = answer(name, type);
    if (reply === 'drop') return;
    const response = Packet.createResponseFromRequest(request);
    Object.assign(response.header, { aa: 1, ra: 1, rcode: reply.rcode });
    response.answers = reply.answers;
    response.authorities = reply.authorities;
    Promise.resolve(send(response)).catch(() => {}); // the client may be gone; nothing to do
  };
  const { udp, tcp, port } = await listenOnSharedPort(handler);
  const connections = new Set<Socket>();
  tcp.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
  });
  return {
    host: '127.0.0.1', port, address: `127.0.0.1:${port}`,
    setZone: (name, records) => void table.set(canonical(name), records),
    removeZone: (name) => void table.delete(canonical(name)),
    get queries() { return [...queries]; },
    queryCount: (name, type) => queries.filter((q) => q.name === canonical(name) && (type === undefined || q.type === type)).length,
    clearQueries: () => void queries.splice(0),
    close: async () => {
      for (const socket of connections) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => tcp.close(() => resolve())),
        new Promise<void>((resolve) => udp.close(() => resolve())),
      ]);
    },
  };
};

const canonical = (name: string): string => (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase();

const answerer = (table: Map<string, TestDnsRecords | TestDnsFailure>, ttls: Readonly<{ negativeTtl: number; defaultTtl: number }>) =>
  (name: string, type: string): Reply => {
    const answers: Resource[] = [];
    let owner = name;
    for (let hop = 0; hop < 8; hop++) {
      const entry = table.get(owner);
      if (entry === 'TIMEOUT') return 'drop';
      if (entry === 'SERVFAIL' || entry === 'REFUSED') return { rcode: Packet.RCODE[entry], answers: [], authorities: [] };
      const negative = (rcode: number): Reply => ({ rcode, answers, authorities: [soaFor(table, owner, ttls.negativeTtl)] });
      if (entry === undefined) {
        const emptyNonTerminal = [...table.keys()].some((key) => key.endsWith(`.${owner}`));
        return negative(emptyNonTerminal ? Packet.RCODE.NOERROR : Packet.RCODE.NXDOMAIN);
      }
      const ttl = entry.ttl ?? ttls.defaultTtl;
      if (entry.CNAME !== undefined && type !== 'CNAME') {
        answers.push(new Packet.Resource({ name: owner, type: Packet.TYPE.CNAME, class: Packet.CLASS.IN, ttl, domain: entry.CNAME }));
        owner = canonical(entry.CNAME);
        continue;
      }
      const records = recordsOf(owner, entry, type, ttl);
      if (records.length === 0) return negative(Packet.RCODE.NOERROR);
      answers.push(...records);
      return { rcode: Packet.RCODE.NOERROR, answers, authorities: [] };
    }
    return { rcode: Packet.RCODE.SERVFAIL, answers: [], authorities: [] }; // CNAME loop
  };

const recordsOf = (name: string, entry: TestDnsRecords, type: string, ttl: number): Resource[] => {
  const rr = (fields: Partial<Resource>) =>
    new Packet.Resource({ name, type: Packet.TYPE[type as keyof typeof Packet.TYPE], class: Packet.CLASS.IN, ttl, ...fields });
  switch (type) {
    case 'A': return (entry.A ?? []).map((address) => rr({ address }));
    case 'AAAA': return (entry.AAAA ?? []).map((address) => rr({ address }));
    case 'MX': return (entry.MX ?? []).map(({ exchange, priority }) => rr({ exchange, priority }));
    case 'TXT': return (entry.TXT ?? []).map((value) => rr({ data: (typeof value === 'string' ? [value] : value).flatMap(splitCharacterStrings) }));
    case 'CNAME': return entry.CNAME === undefined ? [] : [rr({ domain: entry.CNAME })];
    case 'PTR': return (entry.PTR ?? []).map((domain) => rr({ domain }));
    case 'NS': return (entry.NS ?? []).map((ns) => rr({ ns }));
    case 'SOA': return entry.SOA ? [rr(soaFields(name, entry.SOA, ttl))] : [];
    default: return [];
  }
};

const soaFields = (apex: string, soa: NonNullable<TestDnsRecords['SOA']>, negativeTtl: number): Partial<Resource> => ({
  primary: soa.primary ?? `ns.${apex}`, admin: soa.admin ?? `hostmaster.${apex}`, serial: soa.serial ?? 1,
  refresh: 3600, retry: 600, expiration: 86_400, minimum: soa.minimum ?? negativeTtl,
});

/** The SOA put in a negative answer for `name`: the closest enclosing apex with an SOA, else the last two labels. */
const soaFor = (table: Map<string, TestDnsRecords | TestDnsFailure>, name: string, negativeTtl: number): Resource => {
  const labels = name.split('.');
  for (let i = 0; i < labels.length; i++) {
    const candidate = labels.slice(i).join('.');
    const entry = table.get(candidate);
    if (typeof entry === 'object' && entry.SOA) {
      const fields = soaFields(candidate, entry.SOA, negativeTtl);
      return new Packet.Resource({ name: candidate, type: Packet.TYPE.SOA, class: Packet.CLASS.IN, ttl: entry.ttl ?? negativeTtl, ...fields });
    }
  }
  const apex = labels.slice(-2).join('.');
  return new Packet.Resource({ name: apex, type: Packet.TYPE.SOA, class: Packet.CLASS.IN, ttl: negativeTtl, ...soaFields(apex, {}, negativeTtl) });
};

/** RFC 1035 §3.3.14: a character-string holds at most 255 octets; cut on UTF-8 character boundaries. */
const splitCharacterStrings = (value: string): string[] => {
  const chunks: string[] = [];
  let current = '';
  for (const char of value) {
    if (Buffer.byteLength(current + char) > 255) {
      chunks.push(current);
      current = '';
    }
    current += char;
  }
  chunks.push(current);
  return chunks;
};

type Handler = (transport: 'udp' | 'tcp') => (request: Packet, send: (response: Packet) => Promise<Buffer>) => void;

/** Binds TCP and UDP to the same free port on 127.0.0.1, trying again when another process takes it in between. */
const listenOnSharedPort = async (handler: Handler): Promise<{ udp: UdpSocket; tcp: TcpServer; port: number }> => {
  let lastError: unknown;
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freePort();
    const tcp = createTCPServer(handler('tcp'));
    const udp = createUDPServer(handler('udp'));
    try {
      await new Promise<void>((resolve, reject) => { tcp.once('error', reject); tcp.listen(port, '127.0.0.1', () => { tcp.off('error', reject); resolve(); }); });
      await new Promise<void>((resolve, reject) => { udp.once('error', reject); udp.bind(port, '127.0.0.1', () => { udp.off('error', reject); resolve(); }); });
      udp.on('error', () => {});
      tcp.on('error', () => {});
      return { udp, tcp, port };
    } catch (err) {
      lastError = err;
      tcp.close();
      try { udp.close(); } catch { /* never bound */ }
    }
  }
  throw new Error('no free port for the test DNS server', { cause: lastError });
};
