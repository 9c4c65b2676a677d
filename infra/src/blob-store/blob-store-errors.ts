/** The blob store could not store or read a body (disk full, I/O error, database down); the cause is kept. */
export class BlobStoreError extends Error {
  override readonly name = 'BlobStoreError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Stored bytes no longer hash to their ref: the disk or the database returned something else than was put. */
export class BlobCorruptedError extends Error {
  override readonly name = 'BlobCorruptedError';
  constructor(readonly ref: string, readonly actualSha256: string, where: string) {
    super(`blob ${ref} is corrupt: the bytes at ${where} hash to ${actualSha256}`);
  }
}
