import { createServer } from 'node:net';

/** Ports this process has handed out: the kernel may offer a just-closed port again, and two callers must not share one. */
const handedOut = new Set<number>();

const probe = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });

/** A TCP port on 127.0.0.1 that was free a moment ago and that no earlier call in this process returned. */
export const freePort = async (): Promise<number> => {
  for (let i = 0; i < 100; i++) {
    const port = await probe();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port found that was not handed out already');
};
