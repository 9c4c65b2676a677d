import { createHash } from 'node:crypto';

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Refs are lower-case sha256 hex; anything else cannot name a stored blob (and must never reach a path). */
export const isSha256Hex = (ref: string): boolean => /^[0-9a-f]{64}$/.test(ref);
