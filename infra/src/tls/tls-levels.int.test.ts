import type { ConnectionOptions, SecureVersion } from 'node:tls';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TlsLevel } from '../config/config.schema.js';
import { handshake, starttlsHandshake, startTlsServer, type TestTlsServer } from './testing/handshake.js';
import { makeTestPair, type TestPair } from './testing/pairs.js';
import { secureContextOptions, tlsOptionsFor } from './tls-levels.js';

/**
 * A client pinned to one protocol version. Node's own client, like the server, needs @SECLEVEL=0 to speak TLS 1.0/1.1
 * at all under OpenSSL 3 — the senders compat exists for run older TLS stacks that never had such a check.
 */
const client = (version: SecureVersion, ciphers?: string): ConnectionOptions => ({
  minVersion: version,
  maxVersion: version,
  ...(ciphers !== undefined ? { ciphers } : version === 'TLSv1' || version === 'TLSv1.1' ? { ciphers: 'DEFAULT:@SECLEVEL=0' } : {}),
});

// The server's alerts (RFC 8446 §6.2): 40 when no cipher is shared, 70 when the version is refused.
const noSharedCipher = { ok: false, error: expect.stringMatching(/alert handshake failure/) };
const versionRefused = { ok: false, error: expect.stringMatching(/alert protocol version/) };

let pair: TestPair;
const servers = new Map<TlsLevel, TestTlsServer>();
const port = (level: TlsLevel): number => servers.get(level)?.port ?? 0;

beforeAll(async () => {
  pair = await makeTestPair();
  for (const level of ['compat', 'modern', 'strict'] as const) servers.set(level, await startTlsServer(secureContextOptions(level, pair)));
});
afterAll(async () => {
  await Promise.all([...servers.values()].map((s) => s.close()));
});

describe('tlsOptionsFor', () => {
  it('pins the protocol range of each level', () => {
    expect(tlsOptionsFor('compat')).toMatchObject({ minVersion: 'TLSv1', maxVersion: 'TLSv1.3' });
    expect(tlsOptionsFor('modern')).toMatchObject({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
    expect(tlsOptionsFor('strict')).toMatchObject({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
  });

  it.each(['compat', 'modern', 'strict'] as const)('%s gives a current client TLS 1.3 and the configured certificate', async (level) => {
    const result = await handshake(port(level));
    expect(result).toMatchObject({ ok: true, protocol: 'TLSv1.3', fingerprint256: pair.fingerprint256 });
  });
});

describe('compat', () => {
  it.each(['TLSv1', 'TLSv1.1'] as const)('completes a %s handshake with an old sender', async (version) => {
    expect(await handshake(port('compat'), client(version))).toMatchObject({ ok: true, protocol: version, cipher: 'ECDHE-RSA-AES128-SHA' });
  });

  it('serves a sender that knows only static-RSA ciphers', async () => {
    expect(await handshake(port('compat'), client('TLSv1', 'AES128-SHA:@SECLEVEL=0'))).toMatchObject({ ok: true, cipher: 'AES128-SHA' });
    expect(await handshake(port('compat'), client('TLSv1.2', 'AES256-GCM-SHA384'))).toMatchObject({ ok: true, cipher: 'AES256-GCM-SHA384' });
  });

  it('picks its own strongest cipher when the client offers weak ones first', async () => {
    const result = await handshake(port('compat'), client('TLSv1.2', 'AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256'));
    expect(result).toMatchObject({ ok: true, cipher: 'ECDHE-RSA-AES128-GCM-SHA256' });
  });
});

describe('modern', () => {
  it('accepts TLS 1.2 with forward-secret AEAD ciphers, ECDHE and DHE', async () => {
    expect(await handshake(port('modern'), client('TLSv1.2', 'ECDHE-RSA-AES256-GCM-SHA384'))).toMatchObject({ ok: true, protocol: 'TLSv1.2' });
    expect(await handshake(port('modern'), client('TLSv1.2', 'ECDHE-RSA-CHACHA20-POLY1305'))).toMatchObject({ ok: true });
    expect(await handshake(port('modern'), client('TLSv1.2', 'DHE-RSA-AES128-GCM-SHA256'))).toMatchObject({ ok: true, cipher: 'DHE-RSA-AES128-GCM-SHA256' });
  });

  it('refuses a cipher without forward secrecy', async () => {
    expect(await handshake(port('modern'), client('TLSv1.2', 'AES128-GCM-SHA256'))).toMatchObject(noSharedCipher);
  });

  it('refuses CBC ciphers even with forward secrecy', async () => {
    expect(await handshake(port('modern'), client('TLSv1.2', 'ECDHE-RSA-AES128-SHA'))).toMatchObject(noSharedCipher);
  });

  it.each(['TLSv1', 'TLSv1.1'] as const)('refuses %s', async (version) => {
    expect(await handshake(port('modern'), client(version))).toMatchObject(versionRefused);
  });
});

describe('strict', () => {
  it.each(['TLSv1.1', 'TLSv1.2'] as const)('refuses %s', async (version) => {
    expect(await handshake(port('strict'), client(version))).toMatchObject(versionRefused);
  });
});

describe('with smtp-server', () => {
  it('replaces smtp-server\'s TLS 1.0 default: a strict listener refuses a TLS 1.2 STARTTLS', async () => {
    const smtp = new SMTPServer({ ...secureContextOptions('strict', pair), authOptional: true, disableReverseLookup: true, logger: false });
    smtp.on('error', () => undefined); // a refused handshake is reported here; without a listener it would crash the process
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const smtpPort = (smtp.server.address() as { port: number }).port;
    try {
      expect(await starttlsHandshake(smtpPort, client('TLSv1.2'))).toMatchObject(versionRefused);
      expect(await starttlsHandshake(smtpPort)).toMatchObject({ ok: true, protocol: 'TLSv1.3', fingerprint256: pair.fingerprint256 });
    } finally {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    }
  });
});
