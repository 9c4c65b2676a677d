import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * scrypt (RFC 7914) parameters of new hashes: N = 2^15, r = 8, p = 1, i.e. 32 MiB and ~70 ms per hash on the 2-core
 * development machine (2^14 took ~30 ms, 2^16 ~130 ms). Each hash stores its own parameters, so raising them later
 * keeps old hashes valid.
 */
export type ScryptParams = Readonly<{ N: number; r: number; p: number }>;
export const SCRYPT_DEFAULTS: ScryptParams = Object.freeze({ N: 32768, r: 8, p: 1 });
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
/** Refuse parameters that would let a tampered row cost more than this (memory = 128 · N · r bytes). */
const MAX_MEMORY = 256 * 1024 * 1024;
const FORMAT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

const derive = (password: string, salt: Buffer, length: number, params: ScryptParams) =>
  new Promise<Buffer>((resolve, reject) => {
    const options: ScryptOptions = { ...params, maxmem: 128 * params.N * params.r + 1024 * 1024 };
    scrypt(password.normalize('NFC'), salt, length, options, (err, key) => (err ? reject(err) : resolve(key)));
  });

type Parsed = { N: number; r: number; p: number; salt: Buffer; hash: Buffer };

const parse = (stored: string): Parsed | null => {
  const m = FORMAT.exec(stored);
  if (!m) return null;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const powerOfTwo = N > 1 && (N & (N - 1)) === 0;
  if (!powerOfTwo || r < 1 || p < 1 || p > 16 || 128 * N * r > MAX_MEMORY) return null;
  const salt = Buffer.from(m[4]!, 'base64');
  const hash = Buffer.from(m[5]!, 'base64');
  if (hash.length !== KEY_LENGTH || salt.length < SALT_LENGTH) return null;
  return { N, r, p, salt, hash };
};

/** `scrypt$N$r$p$<salt base64>$<hash base64>`, with a fresh random salt. Runs on the libuv thread pool. */
export const hashPassword = async (password: string, params: ScryptParams = SCRYPT_DEFAULTS): Promise<string> => {
  if (password.length === 0) throw new Error('the password is empty');
  const salt = randomBytes(SALT_LENGTH);
  const hash = await derive(password, salt, KEY_LENGTH, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
};

/** Constant-time check of a password against a stored hash; a malformed hash never matches. */
export const verifyPassword = async (password: string, stored: string): Promise<boolean> => {
  const parsed = parse(stored);
  if (!parsed) {
    await burnOneHash(password);
    return false;
  }
  const candidate = await derive(password, parsed.salt, parsed.hash.length, parsed);
  return timingSafeEqual(candidate, parsed.hash);
};

const DUMMY_SALT = randomBytes(SALT_LENGTH);

/** Spends what one verification with the default parameters spends, so an unknown user answers as slowly as a known one. */
export const burnOneHash = async (password: string): Promise<void> => {
  await derive(password, DUMMY_SALT, KEY_LENGTH, SCRYPT_DEFAULTS);
};

/** Whether a stored hash uses weaker parameters than today's defaults (rehash it at the next password change). */
export const needsRehash = (stored: string): boolean => {
  const parsed = parse(stored);
  return !parsed || parsed.N < SCRYPT_DEFAULTS.N || parsed.r < SCRYPT_DEFAULTS.r || parsed.p < SCRYPT_DEFAULTS.p;
};
