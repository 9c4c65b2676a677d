import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/config-error.js';
import type { SigningConfig } from '../config/delivery-config.schema.js';

export type DkimAlgorithm = 'rsa-sha256' | 'ed25519-sha256';
export type DkimKeyType = 'rsa' | 'ed25519';

/** A private key ready for signing: PKCS#8 PEM (what mailauth takes), with the algorithm its type implies. */
export type SigningKey = Readonly<{ privateKeyPem: string; algorithm: DkimAlgorithm; bits: number | null }>;

/** RFC 8301 §3.2: signers MUST NOT use RSA keys under 1024 bits (and verifiers refuse them). */
export const MIN_RSA_BITS = 1024;
export const RSA_KEY_SIZES = [1024, 2048, 3072, 4096] as const;

const algorithmOf = (type: DkimKeyType): DkimAlgorithm => (type === 'rsa' ? 'rsa-sha256' : 'ed25519-sha256');

/**
 * Parses a PEM private key (PKCS#8, or PKCS#1 "RSA PRIVATE KEY") for DKIM or ARC. Throws an Error whose message says
 * what is wrong with it; `expected` is the algorithm the configuration names, if any.
 */
export const parseSigningKey = (pem: string | Buffer, expected?: DkimAlgorithm): SigningKey => {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem.toString());
    const reason = encrypted ? 'is encrypted; signing keys must be unencrypted' : 'holds no PEM private key';
    throw new Error(reason, { cause: err });
  }
  const type = key.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ed25519') throw new Error(`holds a${type === 'ec' ? 'n' : ''} ${type ?? 'unknown'} key; DKIM takes RSA or Ed25519 keys`);
  const bits = type === 'rsa' ? (key.asymmetricKeyDetails?.modulusLength ?? 0) : null;
  if (bits !== null && bits < MIN_RSA_BITS) throw new Error(`holds a ${bits}-bit RSA key; DKIM needs at least ${MIN_RSA_BITS} bits (RFC 8301)`);
  const algorithm = algorithmOf(type);
  if (expected && expected !== algorithm) throw new Error(`holds ${type === 'rsa' ? 'an RSA' : 'an Ed25519'} key, but the algorithm is ${expected}`);
  return { privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(), algorithm, bits };
};

/** Reads and parses a key file; the Error names the file and the problem. */
export const readSigningKey = (file: string, expected?: DkimAlgorithm): SigningKey => {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return parseSigningKey(pem, expected);
  } catch (err) {
    throw new Error(`${file} ${(err as Error).message}`, { cause: err });
  }
};

export type DkimSigningKey = Readonly<{ domain: string; selector: string; headers: readonly string[] | null; key: SigningKey }>;
export type ArcSigningKey = Readonly<{ domain: string; selector: string; key: SigningKey }>;
export type SigningKeys = Readonly<{
  /** Lower-cased signing domain → its key. */
  dkim: ReadonlyMap<string, DkimSigningKey>;
  arc: ArcSigningKey | null;
}>;

/**
 * Reads every key of `delivery.signing` (paths already resolved by loadConfig). Throws a ConfigError listing every
 * unusable key as `  delivery.signing.dkim.<domain>.keyFile: <problem>`, so start-up stops before mail goes out
 * unsigned or is deferred for a key that was never going to load.
 */
export const loadSigningKeys = (signing: SigningConfig): SigningKeys => {
  const issues: string[] = [];
  const read = (path: string, file: string, expected?: DkimAlgorithm): SigningKey | null => {
    try {
      return readSigningKey(file, expected);
    } catch (err) {
      issues.push(`  ${path}: ${(err as Error).message}`);
      return null;
    }
  };
  const dkim = new Map<string, DkimSigningKey>();
  for (const [domain, entry] of Object.entries(signing.dkim)) {
    const key = read(`delivery.signing.dkim.${domain}.keyFile`, entry.keyFile, entry.algorithm);
    if (key) dkim.set(domain, { domain, selector: entry.selector, headers: entry.headers ?? null, key });
  }
  let arc: ArcSigningKey | null = null;
  if (signing.arc) {
    // RFC 8617 defines only rsa-sha256 for ARC, and mailauth signs ARC-Message-Signature with RSA only
    const key = read('delivery.signing.arc.keyFile', signing.arc.keyFile, 'rsa-sha256');
    if (key) arc = { domain: signing.arc.domain, selector: signing.arc.selector, key };
  }
  if (issues.length > 0) throw new ConfigError(`Unusable signing keys:\n${issues.join('\n')}`, issues);
  return { dkim, arc };
};

/** The `p=` value of a key record: SubjectPublicKeyInfo for RSA (RFC 6376 §3.6.1), the raw 32 octets for Ed25519 (RFC 8463 §4). */
const publicKeyData = (publicKey: KeyObject): string =>
  publicKey.asymmetricKeyType === 'ed25519'
    ? Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64')
    : publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

/** The TXT value to publish at `<selector>._domainkey.<domain>` for a private key. */
export const dkimDnsRecord = (privateKeyPem: string): string => {
  const publicKey = createPublicKey(privateKeyPem);
  const k = publicKey.asymmetricKeyType === 'ed25519' ? 'ed25519' : 'rsa';
  return `v=DKIM1; k=${k}; p=${publicKeyData(publicKey)}`;
};

export type GeneratedDkimKey = Readonly<{ privateKeyPem: string; dnsRecord: string; algorithm: DkimAlgorithm }>;

/** A new signing key and its DNS record. RSA keys default to 2048 bits, what RFC 8301 says signers SHOULD use. */
export const generateDkimKey = (options: Readonly<{ algorithm: DkimKeyType; bits?: number }>): GeneratedDkimKey => {
  const pkcs8 = { type: 'pkcs8', format: 'pem' } as const;
  let privateKeyPem: string;
  if (options.algorithm === 'ed25519') {
    privateKeyPem = generateKeyPairSync('ed25519').privateKey.export(pkcs8).toString();
  } else {
    const bits = options.bits ?? 2048;
    if (!(RSA_KEY_SIZES as readonly number[]).includes(bits)) throw new RangeError(`RSA keys have ${RSA_KEY_SIZES.join(', ')} bits, not ${bits}`);
    privateKeyPem = generateKeyPairSync('rsa', { modulusLength: bits }).privateKey.export(pkcs8).toString();
  }
  return { privateKeyPem, dnsRecord: dkimDnsRecord(privateKeyPem), algorithm: algorithmOf(options.algorithm) };
};

/** A TXT value as DNS character-strings of at most 255 octets each (RFC 1035 §3.3.14). */
export const txtCharacterStrings = (value: string, max = 255): string[] => {
  const parts: string[] = [];
  for (let i = 0; i < value.length; i += max) parts.push(value.slice(i, i + max));
  return parts.length > 0 ? parts : [''];
};
