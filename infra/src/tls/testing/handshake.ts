import { once } from 'node:events';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, createServer, type ConnectionOptions, type Server, type TlsOptions } from 'node:tls';

/** What a client saw: the negotiated protocol, cipher and the server's certificate, or why the handshake failed. */
export type HandshakeResult =
  | Readonly<{ ok: true; protocol: string; cipher: string; fingerprint256: string }>
  | Readonly<{ ok: false; error: string }>;

export type TestTlsServer = Readonly<{ server: Server; port: number; close(): Promise<void> }>;

/** A TLS server on 127.0.0.1 that completes handshakes and hangs up. */
export const startTlsServer = async (options: TlsOptions): Promise<TestTlsServer> => {
  const server = createServer(options, (socket) => socket.end());
  server.on('tlsClientError', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('TLS test server has no address');
  return { server, port: address.port, close: () => new Promise((resolve) => server.close(() => resolve())) };
};

const handshakeOver = (options: ConnectionOptions): Promise<HandshakeResult> =>
  new Promise((resolve) => {
    const socket = connectTls({ rejectUnauthorized: false, servername: 'localhost', ...options });
    const timer = setTimeout(() => finish({ ok: false, error: 'handshake timed out' }), 5000);
    const finish = (result: HandshakeResult): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    socket.once('secureConnect', () => finish({
      ok: true,
      protocol: socket.getProtocol() ?? 'unknown',
      cipher: socket.getCipher().name,
      fingerprint256: socket.getPeerCertificate().fingerprint256,
    }));
    socket.once('error', (err) => finish({ ok: false, error: err.message }));
    socket.once('close', () => finish({ ok: false, error: 'closed before the handshake completed' }));
  });

/** A TLS handshake with a server on 127.0.0.1; verification is off unless the options turn it on. */
export const handshake = (port: number, options: ConnectionOptions = {}): Promise<HandshakeResult> =>
  handshakeOver({ host: '127.0.0.1', port, ...options });

const readReply = (socket: Socket): Promise<string> =>
  new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      if (/(^|\r\n)\d{3} [^\r\n]*\r\n$/.test(text)) {
        socket.off('data', onData);
        resolve(text);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });

/** EHLO, STARTTLS and a TLS handshake with an SMTP server on 127.0.0.1. */
export const starttlsHandshake = async (port: number, options: ConnectionOptions = {}): Promise<HandshakeResult> => {
  const socket = connectTcp(port, '127.0.0.1');
  try {
    await readReply(socket);
    socket.write('EHLO client.test\r\n');
    const ehlo = await readReply(socket);
    if (!ehlo.includes('STARTTLS')) return { ok: false, error: `no STARTTLS offered: ${ehlo}` };
    socket.write('STARTTLS\r\n');
    const reply = await readReply(socket);
    if (!reply.startsWith('220')) return { ok: false, error: `STARTTLS refused: ${reply}` };
    return await handshakeOver({ socket, ...options });
  } finally {
    socket.destroy();
  }
};
