import { createServer, type AddressInfo } from 'node:net';
import { connect } from 'node:tls';

/**
 * The first TLS record a real client sends (node:tls, as a TLS client that mistakes the plain port for port 465
 * would): captured from a TCP server that only listens. Its random and key share differ on every call.
 */
export const captureClientHello = async (): Promise<Buffer> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const hello = new Promise<Buffer>((resolve, reject) => {
      server.once('connection', (socket) => {
        let received = Buffer.alloc(0);
        socket.on('data', (chunk: Buffer) => {
          received = Buffer.concat([received, chunk]);
          // record header: type 22 (handshake), version, 2-byte length
          if (received.length >= 5 && received.length >= 5 + received.readUInt16BE(3)) {
            socket.destroy();
            resolve(received.subarray(0, 5 + received.readUInt16BE(3)));
          }
        });
        socket.on('error', reject);
      });
    });
    const client = connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', servername: 'mx.elemta.test' });
    client.on('error', () => { /* the server hangs up mid-handshake */ });
    const bytes = await hello;
    client.destroy();
    if (bytes[0] !== 0x16) throw new Error(`not a TLS handshake record: ${bytes.subarray(0, 5).toString('hex')}`);
    return bytes;
  } finally {
    server.close();
  }
};
