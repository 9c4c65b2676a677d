import type { Logger } from '../logger/logger.js';
import { certificateNames, readPemFile, verifyPair, type CertificateInfo } from './pem-pair.js';

/** A pair ready to serve, with where it came from and what its certificate says. */
export type TlsCredentials = CertificateInfo & Readonly<{
  key: string;
  cert: string;
  source: 'files' | 'self-signed';
  certFile: string;
  keyFile: string;
  /** Self-signed only: made by this call rather than reused from an earlier start. */
  generated: boolean;
}>;

export type CredentialFileOptions = Readonly<{ certFile: string; keyFile: string; hostname?: string | undefined; log: Logger; now?: (() => Date) | undefined }>;

/** The files case of `loadTlsCredentials`, also what a reload runs. */
export const loadCredentialFiles = async (options: CredentialFileOptions): Promise<TlsCredentials> => {
  const [certPem, keyPem] = await readCredentialFiles(options);
  return credentialsFromPem(certPem, keyPem, options);
};

export const readCredentialFiles = (files: Readonly<{ certFile: string; keyFile: string }>): Promise<[string, string]> =>
  Promise.all([readPemFile(files.certFile, 'certificate'), readPemFile(files.keyFile, 'key')]);

/** Checks the pair (throwing `TlsCredentialsError`) and warns about dates and a host name the certificate does not cover. */
export const credentialsFromPem = (certPem: string, keyPem: string, options: CredentialFileOptions): TlsCredentials => {
  const { certFile, keyFile, hostname, log } = options;
  const pair = verifyPair(certPem, keyPem, { certFile, keyFile });
  const now = (options.now ?? (() => new Date()))();
  const { notBefore, notAfter } = pair.info;
  if (notAfter <= now) log.warn({ certFile, notAfter }, 'TLS certificate has expired');
  if (notBefore > now) log.warn({ certFile, notBefore }, 'TLS certificate is not valid yet');
  if (hostname !== undefined && !certificateNames(pair.cert, hostname.toLowerCase())) {
    log.warn({ certFile, hostname, altNames: pair.info.altNames }, 'TLS certificate does not name this host');
  }
  return { key: pair.key, cert: pair.cert, source: 'files', certFile, keyFile, generated: false, ...pair.info };
};
