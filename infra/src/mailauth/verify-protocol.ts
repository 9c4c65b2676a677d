import type { MailResolverSettings } from '../dns/index.js';
import type { VerificationResult, VerifyMessageInput } from './verify-message.js';

/** Messages between `createVerificationPool` and its threads (verify-worker.ts). */
export type VerifyJobInput = Omit<VerifyMessageInput, 'lookup'>;

/** `workerData` of a verification thread: it builds its own resolver from these settings. */
export type VerifyWorkerData = Readonly<{ resolver: MailResolverSettings }>;

export type VerifyJob = Readonly<{ id: number; raw: Uint8Array; input: VerifyJobInput }>;

export type VerifyOutcome =
  | Readonly<{ id: number; ok: true; value: VerificationResult }>
  | Readonly<{ id: number; ok: false; error: Readonly<{ name: string; message: string }> }>;
