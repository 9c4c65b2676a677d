import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadTlsCredentials, TlsCredentialsError, watchTlsCredentials, type TlsCredentials, type TlsWatcher, type TlsWatchOptions } from './certificates.js';
import { captureLog } from './testing/capture-log.js';
import { handshake, starttlsHandshake, startTlsServer, type TestTlsServer } from './testing/handshake.js';
import { makeTestPair, testKey, type TestPair } from './testing/pairs.js';
import { secureContextOptions } from './tls-levels.js';

type Event = { kind: 'change'; credentials: TlsCredentials } | { kind: 'error'; err: Error };

/** The watcher's callbacks as a queue the test reads from. */
const recorder = () => {
  const queue: Event[] = [];
  const waiting: Array<(event: Event) => void> = [];
  const push = (event: Event): void => {
    const waiter = waiting.shift();
    if (waiter) waiter(event); else queue.push(event);
  };
  return {
    onChange: (credentials: TlsCredentials) => push({ kind: 'change', credentials }),
    onError: (err: Error) => push({ kind: 'error', err }),
    next: (timeoutMs = 5000): Promise<Event> => {
      const ready = queue.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('watcher reported nothing in time')), timeoutMs);
        waiting.push((event) => { clearTimeout(timer); resolve(event); });
      });
    },
    /** Nothing within `ms`. */
    quiet: async (ms: number): Promise<Event[]> => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return queue.splice(0);
    },
  };
};

const root = mkdtempSync(join(tmpdir(), 'elemta-tls-watch-'));
let n = 0;
let dir: string;
let first: TestPair;
let second: TestPair;
let watcher: TlsWatcher | undefined;
let server: TestTlsServer | undefined;

beforeAll(async () => {
  first = await makeTestPair({ key: 1 });
  second = await makeTestPair({ key: 2 });
});
beforeEach(() => {
  dir = join(root, `case-${++n}`);
  mkdirSync(dir);
});
afterEach(async () => {
  watcher?.close();
  watcher = undefined;
  await server?.close();
  server = undefined;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const writePair = (target: TestPair, certFile = join(dir, 'cert.pem'), keyFile = join(dir, 'key.pem')) => {
  writeFileSync(certFile, target.cert);
  writeFileSync(keyFile, target.key);
  return { certFile, keyFile };
};

/** Same directory, new name, rename(2) over the old one: what an atomic writer does. */
const replaceAtomically = (file: string, content: string): void => {
  writeFileSync(`${file}.new`, content);
  renameSync(`${file}.new`, file);
};

/** Loads `files`, serves them on a TLS server and swaps in whatever the watcher reports. */
const serveAndWatch = async (files: { certFile: string; keyFile: string }, extra: Partial<TlsWatchOptions> = {}) => {
  const { log, records } = captureLog();
  const credentials = await loadTlsCredentials({ ...files, dataDir: dir, hostname: 'localhost', log });
  const tlsServer = await startTlsServer(secureContextOptions('modern', credentials));
  server = tlsServer;
  const events = recorder();
  watcher = watchTlsCredentials({ ...files, log, current: credentials, ...extra }, (next) => {
    tlsServer.server.setSecureContext(secureContextOptions('modern', next));
    events.onChange(next);
  }, events.onError);
  return { events, records, served: async () => (await handshake(tlsServer.port)) };
};

describe('watchTlsCredentials', () => {
  it('reloads a pair rewritten in place, and new clients get the new certificate', async () => {
    const files = writePair(first);
    const { events, served } = await serveAndWatch(files);
    expect(await served()).toMatchObject({ ok: true, fingerprint256: first.fingerprint256 });
    writePair(second);
    const event = await events.next();
    expect(event).toMatchObject({ kind: 'change', credentials: { fingerprint256: second.fingerprint256, source: 'files' } });
    expect(await served()).toMatchObject({ ok: true, fingerprint256: second.fingerprint256 });
    expect(await events.quiet(400)).toEqual([]);
  });

  it('reloads files replaced by rename', async () => {
    const files = writePair(first);
    const { events, served } = await serveAndWatch(files, { pollIntervalMs: 60_000 });
    replaceAtomically(files.keyFile, second.key);
    replaceAtomically(files.certFile, second.cert);
    expect(await events.next()).toMatchObject({ kind: 'change', credentials: { fingerprint256: second.fingerprint256 } });
    expect(await served()).toMatchObject({ fingerprint256: second.fingerprint256 });
  });

  it('reloads when certbot swaps the symlinks in live/ to a new archive version', async () => {
    const archive = join(dir, 'archive');
    const live = join(dir, 'live');
    mkdirSync(archive);
    mkdirSync(live);
    writePair(first, join(archive, 'fullchain1.pem'), join(archive, 'privkey1.pem'));
    symlinkSync('../archive/fullchain1.pem', join(live, 'fullchain.pem'));
    symlinkSync('../archive/privkey1.pem', join(live, 'privkey.pem'));
    const files = { certFile: join(live, 'fullchain.pem'), keyFile: join(live, 'privkey.pem') };
    const { events, served } = await serveAndWatch(files, { pollIntervalMs: 60_000 });
    writePair(second, join(archive, 'fullchain2.pem'), join(archive, 'privkey2.pem'));
    for (const [link, target] of [['fullchain.pem', 'fullchain2.pem'], ['privkey.pem', 'privkey2.pem']] as const) {
      symlinkSync(`../archive/${target}`, join(live, `${link}.tmp`));
      renameSync(join(live, `${link}.tmp`), join(live, link));
    }
    expect(await events.next()).toMatchObject({ kind: 'change', credentials: { fingerprint256: second.fingerprint256 } });
    expect(await served()).toMatchObject({ fingerprint256: second.fingerprint256 });
  });

  it('notices a symlink target rewritten outside the watched directory by polling', async () => {
    const elsewhere = join(dir, 'elsewhere');
    const configured = join(dir, 'configured');
    mkdirSync(elsewhere);
    mkdirSync(configured);
    const targets = writePair(first, join(elsewhere, 'cert.pem'), join(elsewhere, 'key.pem'));
    symlinkSync(targets.certFile, join(configured, 'cert.pem'));
    symlinkSync(targets.keyFile, join(configured, 'key.pem'));
    const { events } = await serveAndWatch({ certFile: join(configured, 'cert.pem'), keyFile: join(configured, 'key.pem') }, { pollIntervalMs: 100 });
    expect(await events.quiet(300)).toEqual([]); // the start-up check and the first poll are done
    writePair(second, targets.certFile, targets.keyFile);
    expect(await events.next()).toMatchObject({ kind: 'change', credentials: { fingerprint256: second.fingerprint256 } });
  });

  it('without current, takes what it finds at start as served and reports only later changes', async () => {
    const files = writePair(first);
    const { log } = captureLog();
    const events = recorder();
    watcher = watchTlsCredentials({ ...files, dataDir: dir, hostname: 'localhost', log }, events.onChange, events.onError);
    expect(await events.quiet(300)).toEqual([]);
    writePair(second);
    expect(await events.next()).toMatchObject({ kind: 'change', credentials: { fingerprint256: second.fingerprint256 } });
  });

  it('reports a broken replacement and keeps serving the old pair until a good one arrives', async () => {
    const files = writePair(first);
    const { events, served } = await serveAndWatch(files);
    writeFileSync(files.certFile, 'not a certificate\n');
    const broken = await events.next();
    expect(broken).toMatchObject({ kind: 'error', err: { file: files.certFile } });
    expect(broken.kind === 'error' && broken.err).toBeInstanceOf(TlsCredentialsError);
    writeFileSync(files.certFile, second.cert); // the key still belongs to the first certificate
    expect(await events.next()).toMatchObject({ kind: 'error', err: { file: files.keyFile, message: expect.stringContaining('does not match') } });
    expect(await served()).toMatchObject({ ok: true, fingerprint256: first.fingerprint256 });
    writeFileSync(files.keyFile, testKey(2).privateKey);
    expect(await events.next()).toMatchObject({ kind: 'change', credentials: { fingerprint256: second.fingerprint256 } });
    expect(await served()).toMatchObject({ fingerprint256: second.fingerprint256 });
  });

  it('reports nothing when the files are rewritten with what is already served', async () => {
    const files = writePair(first);
    const { events } = await serveAndWatch(files, { debounceMs: 20 });
    writePair(first);
    replaceAtomically(files.certFile, first.cert);
    expect(await events.quiet(300)).toEqual([]);
  });

  it('reports a file that disappears once, and the pair when it is back', async () => {
    const files = writePair(first);
    const { events } = await serveAndWatch(files, { debounceMs: 20 });
    rmSync(files.keyFile);
    expect(await events.next()).toMatchObject({ kind: 'error', err: { message: `cannot read TLS key file ${files.keyFile}: no such file` } });
    writeFileSync(join(dir, 'unrelated.txt'), 'x');
    expect(await events.quiet(200)).toEqual([]);
    writeFileSync(files.keyFile, second.key);
    writeFileSync(files.certFile, second.cert);
    expect(await events.next()).toMatchObject({ kind: 'change' });
  });

  it('reports nothing after close()', async () => {
    const files = writePair(first);
    const { events } = await serveAndWatch(files, { debounceMs: 20, pollIntervalMs: 50 });
    watcher?.close();
    writePair(second);
    expect(await events.quiet(300)).toEqual([]);
  });

  it('does nothing for a self-signed certificate', () => {
    const { log } = captureLog();
    const handle = watchTlsCredentials({ dataDir: dir, hostname: 'localhost', log }, () => undefined, () => undefined);
    expect(() => handle.close()).not.toThrow();
  });

  it('catches a change made between loading and watching', async () => {
    const files = writePair(first);
    const { log } = captureLog();
    const credentials = await loadTlsCredentials({ ...files, dataDir: dir, hostname: 'localhost', log });
    writePair(second);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the directory events are gone by now
    const events = recorder();
    watcher = watchTlsCredentials({ ...files, log, current: credentials, pollIntervalMs: 60_000 }, events.onChange, events.onError);
    expect(await events.next()).toMatchObject({ kind: 'change', credentials: { fingerprint256: second.fingerprint256 } });
  });

  it('reloads smtp-server listeners, STARTTLS and implicit TLS, through updateSecureContext', async () => {
    const files = writePair(first);
    const { log } = captureLog();
    const credentials = await loadTlsCredentials({ ...files, dataDir: dir, hostname: 'localhost', log });
    const listen = async (secure: boolean) => {
      // options objects are per listener: smtp-server keeps and mutates the one it is given
      const smtp = new SMTPServer({ ...secureContextOptions('modern', credentials), secure, authOptional: true, disableReverseLookup: true, logger: false });
      smtp.on('error', () => undefined);
      await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
      return { smtp, port: (smtp.server.address() as { port: number }).port };
    };
    const starttls = await listen(false);
    const smtps = await listen(true);
    const events = recorder();
    watcher = watchTlsCredentials({ ...files, log, current: credentials }, (next) => {
      for (const { smtp } of [starttls, smtps]) smtp.updateSecureContext({ key: next.key, cert: next.cert });
      events.onChange(next);
    }, events.onError);
    try {
      expect(await starttlsHandshake(starttls.port)).toMatchObject({ ok: true, fingerprint256: first.fingerprint256 });
      expect(await handshake(smtps.port)).toMatchObject({ ok: true, fingerprint256: first.fingerprint256 });
      writePair(second);
      expect(await events.next()).toMatchObject({ kind: 'change' });
      expect(await starttlsHandshake(starttls.port, { maxVersion: 'TLSv1.2' }))
        .toMatchObject({ ok: true, fingerprint256: second.fingerprint256, protocol: 'TLSv1.2' });
      expect(await handshake(smtps.port)).toMatchObject({ ok: true, fingerprint256: second.fingerprint256 });
      // the level survived the reload: updateSecureContext merges into the options the listener was built with
      const tls11 = { maxVersion: 'TLSv1.1', minVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' } as const;
      expect(await starttlsHandshake(starttls.port, tls11)).toMatchObject({ ok: false, error: expect.stringMatching(/alert protocol version/) });
      expect(await handshake(smtps.port, tls11)).toMatchObject({ ok: false, error: expect.stringMatching(/alert protocol version/) });
    } finally {
      await Promise.all([starttls, smtps].map(({ smtp }) => new Promise<void>((resolve) => smtp.close(() => resolve()))));
    }
  });
});
