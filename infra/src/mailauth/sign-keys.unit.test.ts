import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../config/config-error.js';
import { signingConfigSchema } from '../config/delivery-config.schema.js';
import { dkimDnsRecord, generateDkimKey, loadSigningKeys, parseSigningKey, txtCharacterStrings } from './sign-keys.js';

const dir = mkdtempSync(join(tmpdir(), 'elemta-sign-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const pemOf = (type: 'rsa' | 'ec' | 'ed25519', bits = 2048) => {
  const { privateKey } = type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: bits })
    : type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
};
const recordTags = (record: string) => Object.fromEntries(record.split(';').map((t) => t.trim().split('=') as [string, string]));

describe('generateDkimKey', () => {
  it('makes a 2048-bit RSA key by default and publishes its SubjectPublicKeyInfo', () => {
    const { privateKeyPem, dnsRecord, algorithm } = generateDkimKey({ algorithm: 'rsa' });
    expect(algorithm).toBe('rsa-sha256');
    expect(parseSigningKey(privateKeyPem)).toMatchObject({ algorithm: 'rsa-sha256', bits: 2048 });
    const tags = recordTags(dnsRecord);
    expect(dnsRecord).toMatch(/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]+$/);
    const published = createPublicKey({ key: Buffer.from(tags['p']!, 'base64'), format: 'der', type: 'spki' });
    expect(published.export({ type: 'spki', format: 'pem' })).toBe(createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }));
  });

  it('makes an Ed25519 key whose record holds the raw 32-octet public key (RFC 8463)', () => {
    const { privateKeyPem, dnsRecord, algorithm } = generateDkimKey({ algorithm: 'ed25519' });
    expect(algorithm).toBe('ed25519-sha256');
    expect(dnsRecord).toMatch(/^v=DKIM1; k=ed25519; p=/);
    expect(Buffer.from(recordTags(dnsRecord)['p']!, 'base64')).toHaveLength(32);
    expect(dkimDnsRecord(privateKeyPem)).toBe(dnsRecord);
  });

  it('takes the RSA sizes of RFC 8301 and nothing else', () => {
    expect(parseSigningKey(generateDkimKey({ algorithm: 'rsa', bits: 1024 }).privateKeyPem).bits).toBe(1024);
    expect(() => generateDkimKey({ algorithm: 'rsa', bits: 512 })).toThrow(/1024, 2048, 3072, 4096 bits, not 512/);
  });
});

describe('parseSigningKey', () => {
  it('reads PKCS#1 RSA keys too, and gives them back as PKCS#8', () => {
    const pkcs1 = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const key = parseSigningKey(pkcs1);
    expect(key.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(key.algorithm).toBe('rsa-sha256');
  });

  it('says what is wrong with an unusable key', () => {
    expect(() => parseSigningKey('not a key')).toThrow('holds no PEM private key');
    expect(() => parseSigningKey(pemOf('ec'))).toThrow('holds an ec key; DKIM takes RSA or Ed25519 keys');
    expect(() => parseSigningKey(pemOf('rsa', 512))).toThrow('holds a 512-bit RSA key; DKIM needs at least 1024 bits (RFC 8301)');
    expect(() => parseSigningKey(pemOf('ed25519'), 'rsa-sha256')).toThrow('holds an Ed25519 key, but the algorithm is rsa-sha256');
    const encrypted = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }).toString();
    expect(() => parseSigningKey(encrypted)).toThrow('is encrypted; signing keys must be unencrypted');
  });
});

describe('loadSigningKeys', () => {
  it('loads every configured key, inferring the algorithm from the key', () => {
    const signing = signingConfigSchema.parse({
      dkim: {
        'Example.ORG': { selector: 's1', keyFile: file('rsa.pem', pemOf('rsa')) },
        'ed.example.org': { selector: 's2', keyFile: file('ed.pem', pemOf('ed25519')), headers: ['From', 'Subject'] },
      },
      arc: { domain: 'example.org', selector: 'arc1', keyFile: file('arc.pem', pemOf('rsa')) },
    });
    const keys = loadSigningKeys(signing);
    expect([...keys.dkim.keys()]).toEqual(['example.org', 'ed.example.org']);
    expect(keys.dkim.get('example.org')).toMatchObject({ selector: 's1', headers: null, key: { algorithm: 'rsa-sha256' } });
    expect(keys.dkim.get('ed.example.org')).toMatchObject({ selector: 's2', headers: ['From', 'Subject'], key: { algorithm: 'ed25519-sha256' } });
    expect(keys.arc).toMatchObject({ domain: 'example.org', selector: 'arc1', key: { algorithm: 'rsa-sha256' } });
  });

  it('stops with a ConfigError naming every unusable key by its configuration key', () => {
    const missing = join(dir, 'missing.pem');
    const signing = signingConfigSchema.parse({
      dkim: {
        'a.example': { selector: 's1', keyFile: missing },
        'b.example': { selector: 's1', keyFile: file('garbage.pem', 'hello'), algorithm: 'rsa-sha256' },
        'c.example': { selector: 's1', keyFile: file('ok.pem', pemOf('rsa')) },
      },
      arc: { domain: 'example.org', selector: 'arc1', keyFile: file('arc-ed.pem', pemOf('ed25519')) },
    });
    let error: unknown;
    try { loadSigningKeys(signing); } catch (err) { error = err; }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      `  delivery.signing.dkim.a.example.keyFile: cannot read ${missing}: ENOENT: no such file or directory, open '${missing}'`,
      `  delivery.signing.dkim.b.example.keyFile: ${join(dir, 'garbage.pem')} holds no PEM private key`,
      `  delivery.signing.arc.keyFile: ${join(dir, 'arc-ed.pem')} holds an Ed25519 key, but the algorithm is rsa-sha256`,
    ]);
  });
});

describe('txtCharacterStrings', () => {
  it('splits a long record into character-strings of at most 255 octets', () => {
    const record = generateDkimKey({ algorithm: 'rsa', bits: 2048 }).dnsRecord;
    const parts = txtCharacterStrings(record);
    expect(parts.length).toBe(2);
    expect(parts.every((p) => p.length <= 255)).toBe(true);
    expect(parts.join('')).toBe(record);
  });
});
