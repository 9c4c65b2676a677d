import { randomInt } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { DnsTemporaryError } from './dns-types.js';
import { describeServer, tcpExchange, udpExchange, type NameServer } from './dns-transport.js';
import { answersQuery, decodeResponse, encodeQuery, MalformedDnsMessageError, type DnsResponse, type RRType } from './dns-wire.js';

/** Sends one question and returns a definitive answer; `CachingLookup` and tests depend on this, not on sockets. */
export interface DnsQuerier {
  query(name: string, type: RRType): Promise<DnsResponse>;
}

export type DnsClientOptions = Readonly<{ servers: readonly NameServer[]; timeoutMs: number; tries: number }>;

const DEFINITIVE = new Set(['NOERROR', 'NXDOMAIN']);

/**
 * A stub resolver client: UDP first, TCP when the answer is truncated (RFC 7766 §5), random 16-bit IDs and a fresh
 * source port per query; a reply only counts if it comes from the server asked and repeats our ID and question.
 *
 * `query` resolves only with a NOERROR or NXDOMAIN response. Each of `tries` rounds asks every server in turn, each
 * waiting up to `timeoutMs`; a server that answered SERVFAIL, REFUSED or another error code is not asked again for
 * that query. When no server gives a definitive answer it rejects with `DnsTemporaryError` carrying the last
 * failure's rcode (`SERVFAIL`, `REFUSED`, `TIMEOUT`, `NETWORK`, `MALFORMED`, …). After `close()` every pending and
 * later query rejects with rcode `CLOSED`.
 */
export class DnsClient implements DnsQuerier {
  private readonly closing = new AbortController();

  constructor(private readonly options: DnsClientOptions) {
    if (options.servers.length === 0) throw new Error('DnsClient needs at least one name server');
    setMaxListeners(0, this.closing.signal); // one listener per query in flight, any number of them
  }

  async query(name: string, type: RRType): Promise<DnsResponse> {
    const refused = new Set<NameServer>();
    let lastError: DnsTemporaryError | undefined;
    for (let round = 0; round < Math.max(1, this.options.tries); round++) {
      for (const server of this.options.servers) {
        if (refused.has(server)) continue;
        try {
          const response = await this.ask(server, name, type, true);
          if (DEFINITIVE.has(response.rcode)) return response;
          refused.add(server);
          lastError = new DnsTemporaryError(`${type} ${name}: ${describeServer(server)} answered ${response.rcode}`, response.rcode);
        } catch (err) {
          if (!(err instanceof DnsTemporaryError) || err.rcode === 'CLOSED') throw err;
          lastError = err;
        }
      }
    }
    throw lastError ?? new DnsTemporaryError(`${type} ${name}: no name server answered`, 'TIMEOUT');
  }

  /** Rejects every pending query with rcode `CLOSED` and releases their sockets. Idempotent. */
  close(): void {
    this.closing.abort();
  }

  private async ask(server: NameServer, name: string, type: RRType, edns: boolean): Promise<DnsResponse> {
    const id = randomInt(0x10000);
    const exchange = { server, query: encodeQuery(id, name, type, edns), timeoutMs: this.options.timeoutMs, signal: this.closing.signal };
    const response = await udpExchange(exchange, (message) => {
      const decoded = tryDecode(message);
      return decoded && answersQuery(decoded, id, name, type) ? decoded : undefined;
    });
    // RFC 6891 §7: a server that does not understand EDNS answers FORMERR; ask again without the OPT record.
    if (response.rcode === 'FORMERR' && edns) return this.ask(server, name, type, false);
    if (!response.truncated) return response;
    const viaTcp = decodeOrThrow(await tcpExchange(exchange), server);
    if (!answersQuery(viaTcp, id, name, type)) {
      throw new DnsTemporaryError(`${type} ${name}: ${describeServer(server)} answered another question over TCP`, 'MALFORMED');
    }
    return viaTcp;
  }
}

const tryDecode = (message: Buffer): DnsResponse | undefined => {
  try {
    return decodeResponse(message);
  } catch (err) {
    if (err instanceof MalformedDnsMessageError) return undefined;
    throw err;
  }
};

const decodeOrThrow = (message: Buffer, server: NameServer): DnsResponse => {
  try {
    return decodeResponse(message);
  } catch (err) {
    if (!(err instanceof MalformedDnsMessageError)) throw err;
    throw new DnsTemporaryError(`${describeServer(server)} sent ${err.message}`, 'MALFORMED', { cause: err });
  }
};
