import type { Logger } from '../logger/logger.js';
import { loadCredentialFiles, type TlsCredentials } from './credential-files.js';
import { TlsCredentialsError } from './pem-pair.js';
import { loadSelfSigned } from './self-signed.js';

export { TlsCredentialsError, type CertificateInfo } from './pem-pair.js';
export type { TlsCredentials } from './credential-files.js';
export { selfSignedFiles, type SelfSignedFiles } from './self-signed.js';
export { watchTlsCredentials, type TlsWatcher, type TlsWatchOptions } from './watch-credentials.js';

export type TlsCredentialOptions = Readonly<{
  /** `smtp.tls.certFile`: PEM chain, the server's certificate first. With `keyFile`, or neither. */
  certFile?: string | undefined;
  /** `smtp.tls.keyFile`: unencrypted PEM private key. */
  keyFile?: string | undefined;
  /** Where the self-signed pair lives (`<dataDir>/tls/`) when no files are configured. */
  dataDir: string;
  /** The name this server greets with; the self-signed certificate is made for it. */
  hostname: string;
  log: Logger;
  now?: () => Date;
}>;

/**
 * Reads and checks the configured pair, or without one a self-signed certificate for `hostname` kept in `<dataDir>/tls/`.
 * Throws `TlsCredentialsError` naming the file when a file is missing, is not PEM, or the key does not belong to the
 * certificate. An expired or not-yet-valid certificate, or one that does not name `hostname`, is only a warning:
 * senders on port 25 rarely verify, and TLS with a stale certificate still beats plaintext.
 */
export const loadTlsCredentials = async (options: TlsCredentialOptions): Promise<TlsCredentials> => {
  const { certFile, keyFile, log } = options;
  const now = options.now ?? (() => new Date());
  if (certFile !== undefined && keyFile !== undefined) return loadCredentialFiles({ certFile, keyFile, hostname: options.hostname, log, now });
  if (certFile !== undefined || keyFile !== undefined) {
    throw new TlsCredentialsError('TLS certFile and keyFile go together: give both or neither', (certFile ?? keyFile) as string);
  }
  const pair = await loadSelfSigned({ dataDir: options.dataDir, hostname: options.hostname.toLowerCase(), log, now: now() });
  return {
    key: pair.key, cert: pair.cert, source: 'self-signed', certFile: pair.certFile, keyFile: pair.keyFile,
    generated: pair.generated, ...pair.info,
  };
};

/** Log fields describing credentials, without the key: `log.info(tlsCredentialsLogFields(c), 'TLS certificate loaded')`. */
export const tlsCredentialsLogFields = (credentials: TlsCredentials) => ({
  source: credentials.source,
  certFile: credentials.certFile,
  subject: credentials.subject,
  altNames: credentials.altNames,
  fingerprint256: credentials.fingerprint256,
  notAfter: credentials.notAfter.toISOString(),
});
