import { createSocket, type RemoteInfo } from 'node:dgram';
import { isIP, connect } from 'node:net';
import { DnsTemporaryError } from './dns-types.js';

/** A name server to send queries to. */
export type NameServer = Readonly<{ host: string; port: number; family: 4 | 6 }>;

/** Parses `"ip"`, `"ip:port"`, `"[ipv6]:port"` or a bare IPv6 address; the port defaults to 53. */
export const parseNameServer = (entry: string): NameServer => {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  const [host, port] = bracketed
    ? [bracketed[1] ?? '', bracketed[2]]
    : isIP(entry) === 6 ? [entry, undefined] : (entry.split(':') as [string, string | undefined]);
  const family = isIP(host);
  const portNumber = port === undefined ? 53 : Number(port);
  if (family === 0 || !Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535) {
    throw new Error(`invalid name server ${JSON.stringify(entry)}: expected "ip" or "ip:port"`);
  }
  return { host, port: portNumber, family: family as 4 | 6 };
};

export const describeServer = (server: NameServer): string =>
  server.family === 6 ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;

type Exchange = Readonly<{ server: NameServer; query: Buffer; timeoutMs: number; signal: AbortSignal }>;

const closedError = () => new DnsTemporaryError('DNS resolver closed', 'CLOSED');
const timeoutError = ({ server, timeoutMs }: Exchange, via: string) =>
  new DnsTemporaryError(`no answer from ${describeServer(server)} over ${via} within ${timeoutMs} ms`, 'TIMEOUT');
const networkError = ({ server }: Exchange, via: string, cause: unknown) =>
  new DnsTemporaryError(`${via} exchange with ${describeServer(server)} failed: ${(cause as Error).message}`, 'NETWORK', { cause });

/**
 * Sends `query` in one datagram from a fresh socket (a random source port per query, RFC 5452 §4) and resolves with
 * the first datagram from the server's address and port that `accept` turns into a value; anything else (late,
 * forged, undecodable) is ignored. Rejects with `DnsTemporaryError` (`TIMEOUT`, `NETWORK`, `CLOSED`).
 */
export const udpExchange = <T>(exchange: Exchange, accept: (message: Buffer) => T | undefined): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const { server, query, timeoutMs, signal } = exchange;
    if (signal.aborted) return reject(closedError());
    const socket = createSocket(server.family === 6 ? 'udp6' : 'udp4');
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners('message');
      socket.on('error', () => {}); // a late ICMP error must not crash the process
      socket.close();
      outcome();
    };
    const onAbort = () => finish(() => reject(closedError()));
    const timer = setTimeout(() => finish(() => reject(timeoutError(exchange, 'UDP'))), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (err) => finish(() => reject(networkError(exchange, 'UDP', err))));
    socket.on('message', (message: Buffer, from: RemoteInfo) => {
      if (from.address !== server.host || from.port !== server.port) return;
      const value = accept(message);
      if (value !== undefined) finish(() => resolve(value));
    });
    socket.send(query, server.port, server.host, (err) => {
      if (err) finish(() => reject(networkError(exchange, 'UDP', err)));
    });
  });

/**
 * Sends `query` over a fresh TCP connection with the 2-octet length prefix (RFC 1035 §4.2.2, RFC 7766) and resolves
 * with the first message the server sends back, without its prefix. The whole exchange, connect included, is bounded
 * by `timeoutMs`. Rejects with `DnsTemporaryError` (`TIMEOUT`, `NETWORK`, `CLOSED`).
 */
export const tcpExchange = (exchange: Exchange): Promise<Buffer> =>
  new Promise<Buffer>((resolve, reject) => {
    const { server, query, timeoutMs, signal } = exchange;
    if (signal.aborted) return reject(closedError());
    const socket = connect({ host: server.host, port: server.port, noDelay: true });
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners('data').removeAllListeners('close');
      socket.on('error', () => {});
      socket.destroy();
      outcome();
    };
    const onAbort = () => finish(() => reject(closedError()));
    const timer = setTimeout(() => finish(() => reject(timeoutError(exchange, 'TCP'))), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (err) => finish(() => reject(networkError(exchange, 'TCP', err))));
    socket.on('close', () => finish(() => reject(networkError(exchange, 'TCP', new Error('connection closed before the answer')))));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2) return;
      const length = received.readUInt16BE(0);
      if (received.length >= 2 + length) {
        const message = received.subarray(2, 2 + length);
        finish(() => resolve(message));
      }
    });
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16BE(query.length);
    socket.write(Buffer.concat([prefix, query]));
  });
