import { mailauth } from './mailauth-library.js';
import type { ArcChainValidation } from './sign-arc-context.js';
import type { DkimAlgorithm } from './sign-keys.js';

export * from './sign-keys.js';
export * from './sign-arc-context.js';

/**
 * mailauth 4.13.3 as it behaves, not as its bundled types say: `headerList` is a colon-separated string (an array is
 * ignored and the defaults are signed), failures come back in `errors` rather than as a rejection, and sealing takes
 * `authResults`, `cv` and `i`, which the types omit.
 */
type MailauthSignOptions = Readonly<{
  signatureData: ReadonlyArray<Readonly<{
    signingDomain: string; selector: string; privateKey: string; algorithm?: string; canonicalization: string;
  }>>;
  headerList: string; signTime?: Date;
}>;
type MailauthDkimSign = (input: Buffer, options: MailauthSignOptions) =>
  Promise<{ signatures: string; errors: ReadonlyArray<{ err?: Error }> }>;
type MailauthSeal = Readonly<{
  signingDomain: string; selector: string; privateKey: string; algorithm: 'rsa-sha256'; headerList: string;
  authResults: string; cv: ArcChainValidation; i: number; signTime?: Date;
}>;
type MailauthSealMessage = (input: Buffer, seal: MailauthSeal) => Promise<Buffer>;

const dkimSign = mailauth.dkimSign as unknown as MailauthDkimSign;
const sealMessage = mailauth.sealMessage as unknown as MailauthSealMessage;

/**
 * Header fields signed when the configuration names none: what identifies and renders the message (RFC 6376 §5.4.1).
 * Fields absent from a message are not signed.
 */
export const DEFAULT_DKIM_HEADERS: readonly string[] = [
  'From', 'Sender', 'Reply-To', 'Subject', 'Date', 'Message-ID', 'To', 'Cc', 'MIME-Version', 'Content-Type',
  'Content-Transfer-Encoding', 'Content-ID', 'Content-Description', 'Resent-Date', 'Resent-From', 'Resent-Sender',
  'Resent-To', 'Resent-Cc', 'Resent-Message-ID', 'In-Reply-To', 'References', 'List-Id', 'List-Help', 'List-Unsubscribe',
  'List-Unsubscribe-Post', 'List-Subscribe', 'List-Post', 'List-Owner', 'List-Archive',
];

/** ARC-Message-Signature covers DKIM-Signature too (RFC 8617 §4.1.2), so a later hop can tell what the signer saw. */
export const DEFAULT_ARC_HEADERS: readonly string[] = ['DKIM-Signature', 'Delivered-To', ...DEFAULT_DKIM_HEADERS];

/** Signing could not produce a valid header; the message must not go out as if it had. */
export class SigningError extends Error {
  override readonly name = 'SigningError';
}

export type DkimSignOptions = Readonly<{
  domain: string;
  selector: string;
  /** PEM private key (see parseSigningKey). */
  privateKey: string;
  /** Default: from the key's type. */
  algorithm?: DkimAlgorithm;
  /** Default: DEFAULT_DKIM_HEADERS. */
  headers?: readonly string[];
  /** The signature's t=; default now. */
  signTime?: Date;
}>;

const asBuffer = (raw: Uint8Array): Buffer => (Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength));

/** Header lines in the message's own line ending, so a bare-LF message does not get a CRLF header on top. */
const inLineEndingsOf = (message: Buffer, headers: string): Buffer => {
  const lf = message.indexOf(0x0a);
  const crlf = lf <= 0 || message[lf - 1] === 0x0d;
  return Buffer.from(crlf ? headers : headers.replace(/\r\n/g, '\n'), 'utf8');
};

/**
 * Signs a message (RFC 6376, relaxed/relaxed) and returns it with the DKIM-Signature header prepended; the rest of the
 * bytes are untouched. Throws SigningError when mailauth reports a problem or yields no signature.
 */
export const dkimSignMessage = async (raw: Uint8Array, options: DkimSignOptions): Promise<Uint8Array> => {
  const message = asBuffer(raw);
  const { signatures, errors } = await dkimSign(message, {
    signatureData: [{
      signingDomain: options.domain, selector: options.selector, privateKey: options.privateKey,
      ...(options.algorithm ? { algorithm: options.algorithm } : {}), canonicalization: 'relaxed/relaxed',
    }],
    headerList: (options.headers ?? DEFAULT_DKIM_HEADERS).join(':'), ...(options.signTime ? { signTime: options.signTime } : {}),
  });
  if (errors.length > 0) {
    throw new SigningError(`DKIM signing for ${options.domain} failed: ${errors.map((e) => e.err?.message ?? 'unknown error').join('; ')}`);
  }
  if (!/^DKIM-Signature:/i.test(signatures)) throw new SigningError(`DKIM signing for ${options.domain} produced no signature`);
  return Buffer.concat([inLineEndingsOf(message, signatures), message]);
};

export type ArcSealOptions = Readonly<{
  domain: string;
  selector: string;
  /** PEM RSA private key: RFC 8617 defines rsa-sha256 only. */
  privateKey: string;
  /** The value of our Authentication-Results header (authserv-id; results), copied into ARC-Authentication-Results. */
  authResults: string;
  cv: ArcChainValidation;
  /** The instance of the new ARC set: one more than the highest in the message (1 when it has none). */
  instance: number;
  /** Fields ARC-Message-Signature covers; default DEFAULT_ARC_HEADERS. */
  headers?: readonly string[];
  signTime?: Date;
}>;

const ARC_SET = ['ARC-Seal', 'ARC-Message-Signature', 'ARC-Authentication-Results'] as const;

/**
 * Adds an ARC set (RFC 8617: ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results) on top of the message.
 * Throws SigningError when mailauth cannot produce all three fields.
 */
export const arcSealMessage = async (raw: Uint8Array, options: ArcSealOptions): Promise<Uint8Array> => {
  const message = asBuffer(raw);
  let headers: string;
  try {
    headers = (await sealMessage(message, {
      signingDomain: options.domain, selector: options.selector, privateKey: options.privateKey, algorithm: 'rsa-sha256',
      headerList: (options.headers ?? DEFAULT_ARC_HEADERS).join(':'), authResults: options.authResults.trim(), cv: options.cv,
      i: options.instance, ...(options.signTime ? { signTime: options.signTime } : {}),
    })).toString('utf8');
  } catch (err) {
    throw new SigningError(`ARC sealing as ${options.domain} failed: ${(err as Error).message}`, { cause: err });
  }
  const missing = ARC_SET.filter((name) => !new RegExp(`^${name}: i=${options.instance};`, 'im').test(headers));
  if (missing.length > 0) throw new SigningError(`ARC sealing as ${options.domain} produced no ${missing.join(', ')}`);
  return Buffer.concat([inLineEndingsOf(message, headers), message]);
};
