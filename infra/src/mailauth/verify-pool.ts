import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { MailResolverSettings } from '../dns/index.js';
import { verifyMessage, type VerificationResult, type VerifyLookup } from './verify-message.js';
import type { VerifyJob, VerifyJobInput, VerifyOutcome, VerifyWorkerData } from './verify-protocol.js';

export type { VerifyJobInput } from './verify-protocol.js';

export type VerificationPoolOptions = Readonly<{
  /** Verification threads; 0 verifies on the calling thread (its event loop then waits for every message's parse). */
  threads: number;
  /** The lookups of verification on the calling thread. */
  lookup: VerifyLookup;
  /** Needed when `threads` > 0: each thread builds its resolver from them (same servers, a cache of its own). */
  resolver?: MailResolverSettings;
  /** A thread stopped (an uncaught error, out of memory): its jobs have failed, and a new thread takes its place. */
  onThreadExit?: (err: Error) => void;
}>;

export type VerificationPool = Readonly<{
  /** `verifyMessage` on one of the threads (mailauth cannot be interrupted: a caller that stops waiting drops the result). */
  verify: (raw: Uint8Array, input: VerifyJobInput) => Promise<VerificationResult>;
  /** Stops the threads; jobs still running fail. */
  close: () => Promise<void>;
}>;

/**
 * One thread per core beyond the first, the first being the SMTP event loop's, at most 4; none on a single core.
 * On the 2-core benchmark machine one thread beat none and two (bench/accept, README).
 */
export const defaultVerificationThreads = (): number => Math.min(4, availableParallelism() - 1);

type Job = { resolve: (value: VerificationResult) => void; reject: (err: Error) => void };
type Thread = { worker: Worker; jobs: Map<number, Job> };

/** The compiled worker (dist/mailauth/verify-worker.js), also when this module runs from its sources under a test runner. */
const workerFile = (): string => createRequire(import.meta.url).resolve('@elemta/infra/mailauth/verify-worker');

/**
 * SPF, DKIM, DMARC and ARC checks (`verifyMessage`) on worker threads, so that parsing and hashing messages and
 * parsing keys never hold up the SMTP sessions on the main event loop. Jobs go to the thread with the fewest running;
 * the message is copied to it, and it does its own lookups.
 */
export const createVerificationPool = (options: VerificationPoolOptions): VerificationPool => {
  if (!Number.isInteger(options.threads) || options.threads < 0) throw new Error(`threads must be a whole number ≥ 0, not ${options.threads}`);
  if (options.threads === 0) {
    return { verify: (raw, input) => verifyMessage(raw, { ...input, lookup: options.lookup }), close: async () => {} };
  }
  const workerData: VerifyWorkerData | undefined = options.resolver && { resolver: options.resolver };
  if (workerData === undefined) throw new Error('verification threads need the resolver settings');
  const file = workerFile();
  const threads: Thread[] = [];
  let nextJob = 0;
  let closed = false;

  const start = (): Thread => {
    const thread: Thread = { worker: new Worker(file, { workerData }), jobs: new Map() };
    thread.worker.unref(); // an idle thread never keeps the process alive; one with jobs does (see `verify`)
    let failure: Error | null = null;
    thread.worker.on('message', (outcome: VerifyOutcome) => {
      const job = thread.jobs.get(outcome.id);
      if (job === undefined) return;
      settled(thread, outcome.id);
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(Object.assign(new Error(outcome.error.message), { name: outcome.error.name }));
    });
    thread.worker.on('error', (err) => { failure = err; });
    thread.worker.on('exit', (code) => {
      threads.splice(threads.indexOf(thread), 1);
      const err = new Error(`verification thread stopped (exit code ${code})${failure ? `: ${failure.message}` : ''}`, { cause: failure });
      for (const job of thread.jobs.values()) job.reject(err);
      thread.jobs.clear();
      if (!closed) options.onThreadExit?.(err);
    });
    threads.push(thread);
    return thread;
  };

  const settled = (thread: Thread, id: number): void => {
    thread.jobs.delete(id);
    if (thread.jobs.size === 0) thread.worker.unref();
  };

  // Threads start with the first job: a node whose clients are all trusted (never checked) keeps no thread and no
  // second copy of mailauth in memory.
  const pick = (): Thread => {
    // also where a thread that stopped is replaced, at the next job, so a thread that cannot start does not spin
    while (threads.length < options.threads) start();
    return threads.reduce((best, t) => (t.jobs.size < best.jobs.size ? t : best));
  };

  return {
    verify: (raw, input) => new Promise<VerificationResult>((resolve, reject) => {
      if (closed) return reject(new Error('the verification pool is closed'));
      const thread = pick();
      const id = nextJob++;
      // A copy of just the message's bytes, handed over: cloning `raw` itself would copy its whole backing buffer.
      const bytes = new Uint8Array(raw);
      try {
        thread.worker.postMessage({ id, raw: bytes, input } satisfies VerifyJob, [bytes.buffer]);
      } catch (err) {
        return reject(err as Error);
      }
      if (thread.jobs.size === 0) thread.worker.ref();
      thread.jobs.set(id, { resolve, reject });
    }),
    close: async () => {
      closed = true;
      await Promise.all(threads.map((t) => t.worker.terminate()));
    },
  };
};
