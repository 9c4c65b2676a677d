import type { BlobStore, StoredBlob } from '@elemta/domain';

/**
 * Small bodies in PostgreSQL, large ones in files. Measured here (STACK-NOTES.md, bench/accept): a new file plus its
 * fsync per 1 KiB message caps acceptance near a thousand a second, while group-committed rows cost a share of one
 * WAL flush; at 100 KiB and above the file path is faster than pushing the body through the WAL.
 * Refs are the sha256 in both stores, so a body is found wherever it went.
 */
export class TieredBlobStore implements BlobStore {
  constructor(private readonly small: BlobStore, private readonly large: BlobStore, private readonly inlineMaxBytes: number) {}

  put(body: Uint8Array): Promise<StoredBlob> {
    return body.byteLength <= this.inlineMaxBytes ? this.small.put(body) : this.large.put(body);
  }

  async get(ref: string): Promise<Uint8Array | null> {
    return (await this.small.get(ref)) ?? this.large.get(ref);
  }

  async has(ref: string): Promise<boolean> {
    return (await this.small.has(ref)) || this.large.has(ref);
  }

  async close(): Promise<void> {
    await Promise.all([this.small.close(), this.large.close()]);
  }
}
