import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { generate } from 'selfsigned';

export type TestPair = Readonly<{ key: string; cert: string; fingerprint256: string }>;
type KeyPair = Readonly<{ privateKey: string; publicKey: string }>;

const keys = new Map<number, KeyPair>();

/** RSA key `n` of this process, made once: a 2048-bit key costs ~100 ms, a certificate for an existing key a few. */
export const testKey = (n: number): KeyPair => {
  let pair = keys.get(n);
  if (!pair) {
    pair = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    keys.set(n, pair);
  }
  return pair;
};

export type TestPairOptions = Readonly<{ name?: string; key?: number; notBefore?: Date; notAfter?: Date }>;

/** A self-signed certificate for `name` (default 'localhost') on test key `key` (default 1). */
export const makeTestPair = async (options: TestPairOptions = {}): Promise<TestPair> => {
  const name = options.name ?? 'localhost';
  const keyPair = testKey(options.key ?? 1);
  const notBefore = options.notBefore ?? new Date(Date.now() - 3_600_000);
  const pems = await generate([{ name: 'commonName', value: name }], {
    keyPair,
    algorithm: 'sha256',
    notBeforeDate: notBefore,
    notAfterDate: options.notAfter ?? new Date(notBefore.getTime() + 30 * 86_400_000),
    extensions: [{ name: 'subjectAltName', altNames: [isIP(name) ? { type: 7, ip: name } : { type: 2, value: name }] }],
  });
  const cert = `${pems.cert.trimEnd()}\n`;
  return { key: keyPair.privateKey, cert, fingerprint256: new X509Certificate(cert).fingerprint256 };
};
