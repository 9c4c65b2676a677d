import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import type { Logger } from '../logger/logger.js';
import { fsyncDir } from '../blob-store/fsync-dir.js';
import { certificateNames, TlsCredentialsError, verifyPair, type VerifiedPair } from './pem-pair.js';

const DAY_MS = 86_400_000;
const VALIDITY_DAYS = 365;
/** Renewed at start-up this long before it runs out, so a process that keeps running for weeks does not serve an expired one. */
const RENEW_BEFORE_DAYS = 30;

export type SelfSignedFiles = Readonly<{ dir: string; certFile: string; keyFile: string }>;

export const selfSignedFiles = (dataDir: string): SelfSignedFiles => {
  const dir = join(dataDir, 'tls');
  return { dir, certFile: join(dir, 'self-signed-cert.pem'), keyFile: join(dir, 'self-signed-key.pem') };
};

type SelfSignedRequest = Readonly<{ dataDir: string; hostname: string; log: Logger; now: Date }>;

/**
 * The self-signed pair under `<dataDir>/tls/`, made on first use and reused while it names `hostname` and has more than
 * 30 days left. Writes are atomic (temporary file, fsync, rename), the key file is mode 0600.
 * Two processes sharing a data directory may each write a pair; the loser's files are replaced and it repairs on next start.
 */
export const loadSelfSigned = async (request: SelfSignedRequest): Promise<VerifiedPair & SelfSignedFiles & { generated: boolean }> => {
  const files = selfSignedFiles(request.dataDir);
  const existing = await reusable(files, request);
  if (existing) return { ...existing, ...files, generated: false };
  const fresh = await makePair(request.hostname, request.now);
  try {
    await mkdir(files.dir, { recursive: true, mode: 0o700 });
    // Key first: a crash between the two renames leaves a pair that does not match, which the next start replaces.
    await writeAtomically(files.keyFile, fresh.key, 0o600);
    await writeAtomically(files.certFile, fresh.cert, 0o644);
    await fsyncDir(files.dir);
  } catch (err) {
    throw new TlsCredentialsError(`cannot write the self-signed TLS certificate to ${files.dir}: ${(err as Error).message}`, files.dir, { cause: err });
  }
  return { ...verifyPair(fresh.cert, fresh.key, files), ...files, generated: true };
};

const readIfPresent = async (file: string): Promise<string | null> => {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
};

const reusable = async (files: SelfSignedFiles, { hostname, log, now }: SelfSignedRequest): Promise<VerifiedPair | null> => {
  let pair: VerifiedPair;
  try {
    const [cert, key] = await Promise.all([readIfPresent(files.certFile), readIfPresent(files.keyFile)]);
    if (cert === null || key === null) return null;
    pair = verifyPair(cert, key, files);
  } catch (err) {
    log.warn({ err, certFile: files.certFile }, 'self-signed TLS certificate unusable; making a new one');
    return null;
  }
  if (pair.info.notAfter.getTime() - now.getTime() < RENEW_BEFORE_DAYS * DAY_MS) {
    log.info({ certFile: files.certFile, notAfter: pair.info.notAfter }, 'self-signed TLS certificate expires soon; making a new one');
    return null;
  }
  if (!certificateNames(pair.cert, hostname)) {
    log.info({ certFile: files.certFile, hostname }, 'self-signed TLS certificate is for another host name; making a new one');
    return null;
  }
  return pair;
};

type AltName = Readonly<{ type: 2; value: string } | { type: 7; ip: string }>;

const altNameFor = (name: string): AltName => (isIP(name) !== 0 ? { type: 7, ip: name } : { type: 2, value: name });

/** RSA rather than ECDSA: the compat level exists for senders old enough to know nothing else. */
const makePair = async (hostname: string, now: Date): Promise<{ key: string; cert: string }> => {
  const names = [...new Set([hostname, 'localhost', '127.0.0.1', '::1'])];
  const pems = await generate(
    // X.520 caps a common name at 64 characters; clients match on the alternative names anyway.
    [{ name: 'commonName', value: hostname.length <= 64 ? hostname : 'localhost' }],
    {
      keyType: 'rsa',
      keySize: 2048,
      algorithm: 'sha256',
      // An hour back, so a peer whose clock is a little behind ours does not see a certificate from the future.
      notBeforeDate: new Date(now.getTime() - 3_600_000),
      notAfterDate: new Date(now.getTime() + VALIDITY_DAYS * DAY_MS),
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: names.map(altNameFor) },
      ],
    },
  );
  return { key: pems.private, cert: pems.cert.endsWith('\n') ? pems.cert : `${pems.cert}\n` };
};

const writeAtomically = async (file: string, data: string, mode: number): Promise<void> => {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await open(temporary, 'wx', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
};
