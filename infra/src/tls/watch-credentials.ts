import { unwatchFile, watch, watchFile, type FSWatcher, type StatsListener } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../logger/logger.js';
import { credentialsFromPem, readCredentialFiles, type TlsCredentials } from './credential-files.js';

export type TlsWatchOptions = Readonly<{
  /** Without both files (self-signed) there is nothing to watch and the watcher does nothing. */
  certFile?: string | undefined;
  keyFile?: string | undefined;
  hostname?: string | undefined;
  /** Accepted so the options given to `loadTlsCredentials` can be passed on as they are; unused. */
  dataDir?: string | undefined;
  log: Logger;
  now?: (() => Date) | undefined;
  /**
   * What is being served now (what `loadTlsCredentials` returned); a reload that finds the same pair reports nothing.
   * Without it the check at start only records what it finds, so a change made before the watch began goes unnoticed.
   */
  current?: Pick<TlsCredentials, 'cert' | 'key'> | undefined;
  /** Quiet time after the last file event before the files are read; renewals touch several files in a row. Default 200. */
  debounceMs?: number;
  /** Interval of the stat polling that backs up the directory watch. Default 5000. */
  pollIntervalMs?: number;
}>;

export type TlsWatcher = Readonly<{ close(): void }>;

/**
 * Reloads the certificate and key when either changes: an in-place write, an atomic rename into the directory, or a
 * swapped symlink (certbot's `live/`, Kubernetes secret volumes). The directories are watched for prompt reloads; the
 * files are also polled by stat, which catches symlink targets elsewhere and file systems without inotify.
 *
 * Guarantees: `onChange` gets only a pair that passed `verifyPair` and differs from the one served (`current`, then
 * the last one reported). Anything else (unreadable file, not PEM, key and certificate disagree, `onChange` throwing)
 * goes to `onError` once per distinct content, and the caller keeps serving what it has. The files are also checked
 * once at start, so a change made after the caller loaded them is not lost. Reloads never overlap. Nothing is called
 * after `close()`.
 */
export const watchTlsCredentials = (
  options: TlsWatchOptions,
  onChange: (credentials: TlsCredentials) => void,
  onError: (err: Error) => void,
): TlsWatcher => {
  const { certFile, keyFile } = options;
  if (certFile === undefined || keyFile === undefined) return { close: () => undefined };
  const reloader = createReloader({ ...options, certFile, keyFile }, onChange, onError);
  const debounceMs = options.debounceMs ?? 200;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const schedule = (): void => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void reloader.run(), debounceMs);
  };
  const stopWatching = watchFiles([certFile, keyFile], options.pollIntervalMs ?? 5000, options.log, schedule);
  // A change between the caller's load and the watches taking hold would otherwise wait for the next one.
  schedule();
  return {
    close: () => {
      closed = true;
      clearTimeout(timer);
      reloader.stop();
      stopWatching();
    },
  };
};

type Reloader = Readonly<{ run(): Promise<void>; stop(): void }>;

/** Reads, checks and reports; runs one at a time, and a request during a run is served by one more run after it. */
const createReloader = (
  options: TlsWatchOptions & Readonly<{ certFile: string; keyFile: string }>,
  onChange: (credentials: TlsCredentials) => void,
  onError: (err: Error) => void,
): Reloader => {
  let served = options.current ? `${options.current.cert}\0${options.current.key}` : null;
  let lastSeen: string | null = null;
  let stopped = false;
  let running: Promise<void> | null = null;
  let again = false;

  const once = async (): Promise<void> => {
    let credentials: TlsCredentials;
    try {
      const [certPem, keyPem] = await readCredentialFiles(options);
      const seen = `${certPem}\0${keyPem}`;
      if (seen === lastSeen || stopped) return;
      lastSeen = seen;
      credentials = credentialsFromPem(certPem, keyPem, options);
    } catch (err) {
      const failure = `error\0${(err as Error).message}`;
      if (failure === lastSeen || stopped) return;
      lastSeen = failure;
      return onError(err as Error);
    }
    const pair = `${credentials.cert}\0${credentials.key}`;
    served ??= pair;
    if (pair === served) return;
    try {
      onChange(credentials);
      served = pair;
    } catch (err) {
      onError(err as Error);
    }
  };

  const run = async (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = once().finally(() => { running = null; });
    await running;
    if (again && !stopped) {
      again = false;
      await run();
    }
  };
  return { run, stop: () => { stopped = true; } };
};

/** Calls `onEvent` on any change in the files' directories (inotify) and on any change of the files' stat (polling). */
const watchFiles = (files: readonly string[], interval: number, log: Logger, onEvent: () => void): (() => void) => {
  const watchers: FSWatcher[] = [];
  for (const dir of new Set(files.map((file) => dirname(file)))) {
    try {
      const watcher = watch(dir, { persistent: false }, () => onEvent());
      watcher.on('error', (err) => {
        log.warn({ err, dir }, 'TLS directory watch failed; polling only');
        watcher.close();
      });
      watchers.push(watcher);
    } catch (err) {
      log.warn({ err, dir }, 'TLS directory cannot be watched; polling only');
    }
  }
  const poll: StatsListener = () => onEvent();
  for (const file of files) watchFile(file, { persistent: false, interval }, poll);
  return () => {
    for (const watcher of watchers) watcher.close();
    for (const file of files) unwatchFile(file, poll);
  };
};
