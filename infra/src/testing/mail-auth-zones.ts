import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { mailauth } from '../mailauth/mailauth-library.js';
import type { TestDnsRecords, TestDnsZones } from './dns-test-server.js';

const generate = promisify(generateKeyPair);

/** A DKIM key pair: the PEM private key for signing and the `p=` value to publish (RFC 6376 §3.6.1, RFC 8463 §4.2). */
export type DkimTestKey = Readonly<{ algorithm: 'rsa' | 'ed25519'; privateKey: string; publicKey: string }>;

/** A new key pair; RSA keys have 2048 bits. */
export const generateDkimKey = async (algorithm: 'rsa' | 'ed25519' = 'rsa'): Promise<DkimTestKey> => {
  if (algorithm === 'ed25519') {
    const { privateKey, publicKey } = await generate('ed25519', {
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'der' },
    });
    // RFC 8463 §4.2: the record holds the bare 32-octet key, not the SPKI structure around it.
    return { algorithm, privateKey, publicKey: publicKey.subarray(-32).toString('base64') };
  }
  const { privateKey, publicKey } = await generate('rsa', {
    modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'der' },
  });
  return { algorithm, privateKey, publicKey: publicKey.toString('base64') };
};

/** The TXT value of `<selector>._domainkey.<domain>`. */
export const dkimKeyRecord = (key: DkimTestKey): string => `v=DKIM1; k=${key.algorithm}; p=${key.publicKey}`;

/** An SPF record (RFC 7208 §4.5), by default allowing the loopback network and failing everything else. */
export const spfRecord = (mechanisms: readonly string[] = ['ip4:127.0.0.0/8'], all: '-all' | '~all' | '?all' | '+all' = '-all'): string =>
  ['v=spf1', ...mechanisms, all].join(' ');

export type DmarcTestPolicy = Readonly<{
  p: 'none' | 'quarantine' | 'reject';
  sp?: 'none' | 'quarantine' | 'reject';
  adkim?: 'r' | 's';
  aspf?: 'r' | 's';
  pct?: number;
}>;

/** The TXT value of `_dmarc.<domain>` (RFC 7489 §6.3). */
export const dmarcRecord = (policy: DmarcTestPolicy): string =>
  ['v=DMARC1', `p=${policy.p}`, ...(['sp', 'adkim', 'aspf', 'pct'] as const)
    .filter((tag) => policy[tag] !== undefined).map((tag) => `${tag}=${policy[tag]}`)].join('; ');

export type MailAuthDomain = Readonly<{
  domain: string;
  /** SPF TXT value of the domain (e.g. from `spfRecord()`); none when absent. */
  spf?: string;
  /** DMARC policy published at `_dmarc.<domain>`; none when absent. */
  dmarc?: DmarcTestPolicy;
  /** Keys published at `<selector>._domainkey.<domain>`. */
  dkim?: readonly Readonly<{ selector: string; key: DkimTestKey }>[];
  /** Other records of the domain itself (MX, A, …), kept next to its SPF record. */
  records?: TestDnsRecords;
}>;

/** The zones that publish one domain's SPF, DKIM keys and DMARC policy, for `startTestDnsServer` or `setZone`. */
export const mailAuthZones = (spec: MailAuthDomain): Record<string, TestDnsRecords> => {
  const zones: Record<string, TestDnsRecords> = {};
  const own: TestDnsRecords = { ...spec.records, TXT: [...(spec.records?.TXT ?? []), ...(spec.spf === undefined ? [] : [spec.spf])] };
  if (Object.keys(own).some((k) => k !== 'TXT') || (own.TXT?.length ?? 0) > 0) zones[spec.domain] = own;
  if (spec.dmarc) zones[`_dmarc.${spec.domain}`] = { TXT: [dmarcRecord(spec.dmarc)] };
  for (const { selector, key } of spec.dkim ?? []) zones[`${selector}._domainkey.${spec.domain}`] = { TXT: [dkimKeyRecord(key)] };
  return zones;
};

/** Merges zone sets; records of the same name and type are concatenated (a failure mode replaces records). */
export const mergeTestZones = (...sets: readonly TestDnsZones[]): Record<string, TestDnsZones[string]> => {
  const merged: Record<string, TestDnsZones[string]> = {};
  for (const set of sets) {
    for (const [name, value] of Object.entries(set)) {
      const existing = merged[name];
      merged[name] = typeof existing !== 'object' || typeof value !== 'object' ? value : mergeRecords(existing, value);
    }
  }
  return merged;
};

const mergeRecords = (a: TestDnsRecords, b: TestDnsRecords): TestDnsRecords => {
  const out: Record<string, unknown> = { ...a, ...b };
  for (const key of ['A', 'AAAA', 'MX', 'TXT', 'PTR', 'NS'] as const) {
    if (a[key] && b[key]) out[key] = [...a[key], ...b[key]];
  }
  return out as TestDnsRecords;
};

export type DkimTestSigner = Readonly<{ domain: string; selector: string; key: DkimTestKey }>;

/**
 * The message with one DKIM-Signature per signer prepended, signed (relaxed/relaxed) with mailauth's signer.
 * `headerList` overrides the signed header fields of every signature.
 */
export const dkimSignTestMessage = async (
  raw: string | Uint8Array, signers: DkimTestSigner | readonly DkimTestSigner[], options: Readonly<{ headerList?: readonly string[] }> = {},
): Promise<Buffer> => {
  const message = Buffer.from(raw);
  const signatureData = (Array.isArray(signers) ? signers : [signers] as readonly DkimTestSigner[]).map((s) => ({
    signingDomain: s.domain, selector: s.selector, privateKey: s.key.privateKey,
    algorithm: s.key.algorithm === 'rsa' ? 'rsa-sha256' : 'ed25519-sha256', canonicalization: 'relaxed/relaxed',
  }));
  const [first] = signatureData;
  if (!first) throw new Error('dkimSignTestMessage needs at least one signer');
  const { signatures, errors } = await mailauth.dkimSign(message, {
    ...first, signatureData, ...(options.headerList ? { headerList: [...options.headerList] } : {}),
  });
  if (errors.length > 0) throw new Error(`DKIM signing failed: ${errors.map((e) => e.message).join('; ')}`, { cause: errors[0] });
  return Buffer.concat([Buffer.from(signatures), message]);
};

export type ArcTestSealer = Readonly<{
  domain: string; selector: string; key: DkimTestKey;
  /** The sealer's own verdict, as an Authentication-Results value without the header name (`mx.example; spf=pass …`). */
  authResults: string;
  /** Chain validation of the sets already present (RFC 8617 §4.1.3): `none` for the first hop. */
  cv?: 'none' | 'pass' | 'fail';
}>;

/**
 * The message with one more ARC set (ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results) prepended.
 * The sealer needs an RSA key: mailauth 4.13.3 signs ARC-Message-Signature with rsa-sha256 only.
 */
export const arcSealTestMessage = async (raw: string | Uint8Array, sealer: ArcTestSealer): Promise<Buffer> => {
  if (sealer.key.algorithm !== 'rsa') throw new Error('arcSealTestMessage needs an RSA key');
  const message = Buffer.from(raw);
  const headers = await mailauth.sealMessage(message, {
    signingDomain: sealer.domain, selector: sealer.selector, privateKey: sealer.key.privateKey, algorithm: 'rsa-sha256',
    ...({ authResults: sealer.authResults, cv: sealer.cv ?? 'none' } as object), // accepted by createSeal, missing from the typings
  });
  return Buffer.concat([headers, message]);
};
