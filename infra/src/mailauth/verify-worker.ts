import { parentPort, workerData } from 'node:worker_threads';
import { createMailResolver } from '../dns/index.js';
import { verifyMessage } from './verify-message.js';
import type { VerifyJob, VerifyOutcome, VerifyWorkerData } from './verify-protocol.js';

/**
 * A verification thread of `createVerificationPool`: runs `verifyMessage` for each job it is sent, with a resolver
 * of its own built from the node's resolver settings (same servers and timeouts, a cache per thread), so a job never
 * waits for the main event loop.
 */
const port = parentPort;
if (port === null) throw new Error('verify-worker.js runs only as a worker thread of createVerificationPool');
const resolver = createMailResolver((workerData as VerifyWorkerData).resolver);

port.on('message', (job: VerifyJob) => {
  verifyMessage(job.raw, { ...job.input, lookup: resolver.lookup }).then(
    (value) => port.postMessage({ id: job.id, ok: true, value } satisfies VerifyOutcome),
    (err: unknown) => port.postMessage({
      id: job.id, ok: false,
      error: err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) },
    } satisfies VerifyOutcome),
  );
});
