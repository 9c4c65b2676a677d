import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadTlsCredentials, selfSignedFiles, TlsCredentialsError, type TlsCredentialOptions } from './certificates.js';
import { captureLog } from './testing/capture-log.js';
import { handshake, starttlsHandshake, startTlsServer } from './testing/handshake.js';
import { makeTestPair, testKey, type TestPair } from './testing/pairs.js';
import { secureContextOptions } from './tls-levels.js';

const root = mkdtempSync(join(tmpdir(), 'elemta-tls-'));
let dir: string;
let n = 0;
let pair: TestPair;

beforeAll(async () => {
  pair = await makeTestPair({ name: 'mx.example.org' });
});
beforeEach(() => {
  dir = join(root, `case-${++n}`);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const files = async (cert: string, key: string) => {
  await mkdir(dir, { recursive: true });
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  writeFileSync(certFile, cert);
  writeFileSync(keyFile, key);
  return { certFile, keyFile };
};

const options = (extra: Partial<TlsCredentialOptions> = {}) => {
  const { log, records, messages } = captureLog();
  return { records, messages, options: { dataDir: join(dir, 'data'), hostname: 'mx.example.org', log, ...extra } };
};

const failure = async (promise: Promise<unknown>): Promise<TlsCredentialsError> => {
  const err = await promise.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(TlsCredentialsError);
  return err as TlsCredentialsError;
};

describe('loadTlsCredentials with certFile and keyFile', () => {
  it('returns the pair, described, and a TLS server serves it', async () => {
    const { options: o, records } = options(await files(pair.cert, pair.key));
    const credentials = await loadTlsCredentials(o);
    expect(credentials).toMatchObject({
      source: 'files', certFile: o.certFile, keyFile: o.keyFile, generated: false,
      subject: 'CN=mx.example.org', altNames: ['DNS:mx.example.org'], fingerprint256: pair.fingerprint256,
    });
    expect(credentials.notAfter.getTime()).toBeGreaterThan(Date.now());
    expect(records).toEqual([]);
    const server = await startTlsServer(secureContextOptions('modern', credentials));
    try {
      const result = await handshake(server.port, { ca: [pair.cert], servername: 'mx.example.org', rejectUnauthorized: true });
      expect(result).toMatchObject({ ok: true, fingerprint256: pair.fingerprint256 });
    } finally {
      await server.close();
    }
  });

  it('keeps an intermediate after the server certificate', async () => {
    const intermediate = await makeTestPair({ name: 'ca.example.org', key: 2 });
    const credentials = await loadTlsCredentials(options(await files(pair.cert + intermediate.cert, pair.key)).options);
    expect(credentials.cert).toBe(pair.cert + intermediate.cert);
    expect(credentials.fingerprint256).toBe(pair.fingerprint256);
  });

  it('names the missing file', async () => {
    const { certFile, keyFile } = await files(pair.cert, pair.key);
    const missingCert = await failure(loadTlsCredentials(options({ certFile: `${certFile}.gone`, keyFile }).options));
    expect(missingCert).toMatchObject({ file: `${certFile}.gone`, message: `cannot read TLS certificate file ${certFile}.gone: no such file` });
    const missingKey = await failure(loadTlsCredentials(options({ certFile, keyFile: `${keyFile}.gone` }).options));
    expect(missingKey).toMatchObject({ file: `${keyFile}.gone`, message: `cannot read TLS key file ${keyFile}.gone: no such file` });
  });

  it('refuses a certificate file that is not PEM', async () => {
    const { options: o } = options(await files('just some text\n', pair.key));
    expect(await failure(loadTlsCredentials(o))).toMatchObject({ file: o.certFile, message: expect.stringContaining('holds no PEM certificate') });
  });

  it('refuses a PEM certificate block holding garbage', async () => {
    const { options: o } = options(await files('-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n', pair.key));
    expect(await failure(loadTlsCredentials(o))).toMatchObject({ file: o.certFile, message: expect.stringContaining('certificate 1 is not valid PEM') });
  });

  it('refuses a key file that is not a PEM private key', async () => {
    const { options: o } = options(await files(pair.cert, pair.cert));
    expect(await failure(loadTlsCredentials(o))).toMatchObject({ file: o.keyFile, message: expect.stringContaining('holds no PEM private key') });
  });

  it('refuses an encrypted key', async () => {
    const encrypted = '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n';
    const { options: o } = options(await files(pair.cert, encrypted));
    expect(await failure(loadTlsCredentials(o))).toMatchObject({ file: o.keyFile, message: expect.stringContaining('is encrypted') });
  });

  it('refuses a key that does not belong to the certificate, naming the key file', async () => {
    const { options: o } = options(await files(pair.cert, testKey(2).privateKey));
    expect(await failure(loadTlsCredentials(o))).toMatchObject({
      file: o.keyFile, message: `TLS key file ${o.keyFile} does not match the certificate in ${o.certFile}`,
    });
  });

  it('explains a chain with the server certificate in the wrong place', async () => {
    const intermediate = await makeTestPair({ name: 'ca.example.org', key: 2 });
    const { options: o } = options(await files(intermediate.cert + pair.cert, pair.key));
    expect(await failure(loadTlsCredentials(o))).toMatchObject({ message: expect.stringContaining('the server\'s own certificate must come first') });
  });

  it('refuses certFile without keyFile', async () => {
    const { certFile } = await files(pair.cert, pair.key);
    expect(await failure(loadTlsCredentials(options({ certFile }).options))).toMatchObject({ message: expect.stringContaining('give both or neither') });
  });

  it('serves an expired certificate with a warning', async () => {
    const expired = await makeTestPair({ name: 'mx.example.org', notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') });
    const { options: o, records } = options(await files(expired.cert, expired.key));
    const credentials = await loadTlsCredentials(o);
    expect(credentials.notAfter.toISOString()).toBe('2021-01-01T00:00:00.000Z');
    expect(records).toEqual([expect.objectContaining({ level: 'warn', msg: 'TLS certificate has expired', certFile: o.certFile })]);
  });

  it('warns when the certificate does not name the host', async () => {
    const { options: o, records } = options({ ...await files(pair.cert, pair.key), hostname: 'mail.example.net' });
    await loadTlsCredentials(o);
    expect(records).toEqual([expect.objectContaining({ level: 'warn', msg: 'TLS certificate does not name this host', hostname: 'mail.example.net' })]);
  });
});

describe('loadTlsCredentials without files: self-signed', () => {
  it('makes a certificate for the host name and loopback, key readable by the owner only, written without leftovers', async () => {
    const { options: o } = options();
    const credentials = await loadTlsCredentials(o);
    const paths = selfSignedFiles(o.dataDir);
    expect(credentials).toMatchObject({ source: 'self-signed', generated: true, certFile: paths.certFile, keyFile: paths.keyFile, subject: 'CN=mx.example.org' });
    expect(credentials.altNames).toEqual(['DNS:mx.example.org', 'DNS:localhost', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1']);
    expect(paths.keyFile).toBe(join(o.dataDir, 'tls', 'self-signed-key.pem'));
    expect(statSync(paths.keyFile).mode & 0o777).toBe(0o600);
    expect(readdirSync(paths.dir).sort()).toEqual(['self-signed-cert.pem', 'self-signed-key.pem']);
    const days = (credentials.notAfter.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(360);
  });

  it('reuses the certificate on the next start', async () => {
    const first = await loadTlsCredentials(options().options);
    const { options: o, records } = options();
    const second = await loadTlsCredentials(o);
    expect(second).toMatchObject({ generated: false, fingerprint256: first.fingerprint256, key: first.key });
    expect(records).toEqual([]);
  });

  it('makes a new one when the host name changed', async () => {
    const first = await loadTlsCredentials(options().options);
    const { options: o, records } = options({ hostname: 'MX2.Example.org' });
    const second = await loadTlsCredentials(o);
    expect(second).toMatchObject({ generated: true, subject: 'CN=mx2.example.org' });
    expect(second.fingerprint256).not.toBe(first.fingerprint256);
    expect(records).toEqual([expect.objectContaining({ level: 'info', msg: 'self-signed TLS certificate is for another host name; making a new one' })]);
    expect((await loadTlsCredentials(options({ hostname: 'mx2.example.org' }).options)).fingerprint256).toBe(second.fingerprint256);
  });

  it('makes a new one when the stored one has expired', async () => {
    const { options: o, records } = options();
    const paths = selfSignedFiles(o.dataDir);
    const expired = await makeTestPair({ name: 'mx.example.org', notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') });
    await mkdir(paths.dir, { recursive: true });
    writeFileSync(paths.certFile, expired.cert);
    writeFileSync(paths.keyFile, expired.key);
    const credentials = await loadTlsCredentials(o);
    expect(credentials).toMatchObject({ generated: true });
    expect(credentials.notAfter.getTime()).toBeGreaterThan(Date.now());
    expect(records.map((r) => r.msg)).toEqual(['self-signed TLS certificate expires soon; making a new one']);
  });

  it('replaces a stored pair that does not match', async () => {
    const { options: o, records } = options();
    const paths = selfSignedFiles(o.dataDir);
    await mkdir(paths.dir, { recursive: true });
    writeFileSync(paths.certFile, pair.cert);
    writeFileSync(paths.keyFile, testKey(2).privateKey);
    expect(await loadTlsCredentials(o)).toMatchObject({ generated: true });
    expect(records).toEqual([expect.objectContaining({ level: 'warn', msg: 'self-signed TLS certificate unusable; making a new one' })]);
  });

  it('lets a client that trusts it verify STARTTLS to smtp-server', async () => {
    const credentials = await loadTlsCredentials(options().options);
    const smtp = new SMTPServer({ ...secureContextOptions('modern', credentials), authOptional: true, disableReverseLookup: true, logger: false });
    smtp.on('error', () => undefined);
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const port = (smtp.server.address() as { port: number }).port;
    try {
      for (const servername of ['mx.example.org', 'localhost']) {
        const result = await starttlsHandshake(port, { ca: [credentials.cert], servername, rejectUnauthorized: true });
        expect(result).toMatchObject({ ok: true, fingerprint256: credentials.fingerprint256 });
      }
      expect(await starttlsHandshake(port, { ca: [credentials.cert], servername: 'other.example.org', rejectUnauthorized: true }))
        .toMatchObject({ ok: false, error: expect.stringContaining('other.example.org') });
    } finally {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    }
  });
});
