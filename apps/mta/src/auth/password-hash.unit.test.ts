import { describe, expect, it } from 'vitest';
import { SCRYPT_DEFAULTS, hashPassword, needsRehash, verifyPassword } from './password-hash.js';

const FAST = { N: 1024, r: 8, p: 1 };

describe('password hashes', () => {
  it('stores scrypt with its parameters, a random salt and never the password', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).toMatch(new RegExp(`^scrypt\\$${SCRYPT_DEFAULTS.N}\\$8\\$1\\$[A-Za-z0-9+/=]{24}\\$[A-Za-z0-9+/=]{44}$`));
    expect(hash).not.toContain('correct horse');
    expect(await hashPassword('correct horse battery staple')).not.toBe(hash);
  });

  it('accepts the right password and refuses any other', async () => {
    const hash = await hashPassword('s3cret', FAST);
    expect(await verifyPassword('s3cret', hash)).toBe(true);
    expect(await verifyPassword('s3cret ', hash)).toBe(false);
    expect(await verifyPassword('S3cret', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('verifies with the parameters stored in the hash, so old hashes stay valid', async () => {
    const hash = await hashPassword('pw', FAST);
    expect(hash.startsWith('scrypt$1024$8$1$')).toBe(true);
    expect(await verifyPassword('pw', hash)).toBe(true);
    expect(needsRehash(hash)).toBe(true);
    expect(needsRehash(await hashPassword('pw'))).toBe(false);
  });

  it('treats Unicode passwords in NFC, so composed and decomposed forms match', async () => {
    const hash = await hashPassword('caf\u00e9', FAST);
    expect(await verifyPassword('cafe\u0301', hash)).toBe(true);
  });

  it('never matches a malformed or tampered hash', async () => {
    const hash = await hashPassword('pw', FAST);
    for (const bad of ['', 'plain', hash.replace('scrypt$', 'bcrypt$'), hash.replace('$1024$', '$1000$'),
      hash.replace('$1024$', `$${2 ** 30}$`), hash.slice(0, -8)]) {
      expect(await verifyPassword('pw', bad), bad).toBe(false);
    }
  });

  it('refuses to hash an empty password', async () => {
    await expect(hashPassword('')).rejects.toThrow(/empty/);
  });
});
