import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { createSecureContext } from 'node:tls';

/** A certificate or key that cannot be served; `file` is the one to fix. Start-up treats it like a configuration error. */
export class TlsCredentialsError extends Error {
  override readonly name = 'TlsCredentialsError';
  constructor(message: string, readonly file: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export type CertificateInfo = Readonly<{
  /** As OpenSSL prints it, one `KEY=value` per line: `CN=mx.example.org`. */
  subject: string;
  /** `DNS:mx.example.org`, `IP Address:127.0.0.1`, … */
  altNames: readonly string[];
  /** SHA-256 over the DER certificate, colon-separated hex (what `openssl x509 -fingerprint -sha256` prints). */
  fingerprint256: string;
  notBefore: Date;
  notAfter: Date;
}>;

/** A key and certificate chain that belong together, normalised to PEM (chain: leaf first, nothing but certificates). */
export type VerifiedPair = Readonly<{ key: string; cert: string; info: CertificateInfo }>;

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const KEY_BLOCK = /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----/;

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

const readFailure = (err: unknown): string => {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return messageOf(err);
};

export const readPemFile = async (file: string, what: 'certificate' | 'key'): Promise<string> => {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new TlsCredentialsError(`cannot read TLS ${what} file ${file}: ${readFailure(err)}`, file, { cause: err });
  }
};

const parseChain = (pem: string, file: string): X509Certificate[] => {
  const blocks = pem.match(CERT_BLOCK) ?? [];
  if (blocks.length === 0) {
    throw new TlsCredentialsError(`TLS certificate file ${file} holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" line)`, file);
  }
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw new TlsCredentialsError(`TLS certificate file ${file}: certificate ${i + 1} is not valid PEM: ${messageOf(err)}`, file, { cause: err });
    }
  });
};

const parseKey = (pem: string, file: string): KeyObject => {
  const kind = KEY_BLOCK.exec(pem)?.[1];
  if (kind === undefined) {
    throw new TlsCredentialsError(`TLS key file ${file} holds no PEM private key (no "-----BEGIN PRIVATE KEY-----" line)`, file);
  }
  // A passphrase would have to sit in the configuration next to the key, which protects nothing.
  if (kind === 'ENCRYPTED PRIVATE KEY') throw new TlsCredentialsError(`TLS key file ${file} is encrypted; give the key without a passphrase`, file);
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new TlsCredentialsError(`TLS key file ${file} is not a valid private key: ${messageOf(err)}`, file, { cause: err });
  }
};

export const describeCertificate = (certificate: X509Certificate): CertificateInfo => ({
  subject: certificate.subject,
  // Node quotes a name that holds ", " itself, which a certificate for mail hosts never has.
  altNames: certificate.subjectAltName?.split(', ') ?? [],
  fingerprint256: certificate.fingerprint256,
  notBefore: new Date(certificate.validFrom),
  notAfter: new Date(certificate.validTo),
});

/** Whether a client connecting to `hostname` would find it in the certificate (exact names, no wildcards). */
export const certificateNames = (cert: string, hostname: string): boolean => {
  const leaf = new X509Certificate(cert);
  return isIP(hostname) !== 0 ? leaf.checkIP(hostname) !== undefined : leaf.checkHost(hostname, { wildcards: false }) !== undefined;
};

/**
 * Checks that the key belongs to the first certificate of the chain and that OpenSSL accepts the two together.
 * Throws a `TlsCredentialsError` naming the file at fault; says nothing about dates (callers decide what an expired one means).
 */
export const verifyPair = (certPem: string, keyPem: string, files: Readonly<{ certFile: string; keyFile: string }>): VerifiedPair => {
  const { certFile, keyFile } = files;
  const chain = parseChain(certPem, certFile);
  const keyObject = parseKey(keyPem, keyFile);
  const [leaf] = chain as [X509Certificate, ...X509Certificate[]];
  if (!leaf.checkPrivateKey(keyObject)) {
    const later = chain.findIndex((c) => c.checkPrivateKey(keyObject));
    const hint = later > 0 ? ` (it matches certificate ${later + 1} of the file: the server's own certificate must come first)` : '';
    throw new TlsCredentialsError(`TLS key file ${keyFile} does not match the certificate in ${certFile}${hint}`, keyFile);
  }
  const key = keyObject.export({ format: 'pem', type: 'pkcs8' }).toString();
  const cert = chain.map((c) => c.toString()).join('');
  try {
    createSecureContext({ key, cert });
  } catch (err) {
    throw new TlsCredentialsError(`TLS certificate ${certFile} with key ${keyFile} is refused by OpenSSL: ${messageOf(err)}`, certFile, { cause: err });
  }
  return { key, cert, info: describeCertificate(leaf) };
};
