/** A stored message body, addressed by the sha256 of its bytes. */
export type StoredBlob = Readonly<{ sha256: string; ref: string; sizeBytes: number }>;

/**
 * Content-addressed storage for message bodies. Bodies never go into events; events carry `ref` and `sha256`.
 *
 * Guarantees: `put` resolves only once the bytes are durable (fsync'd file, or committed row), so the
 * caller may append the event that refers to them; storing the same bytes twice is a no-op that returns
 * the same ref; `get` returns exactly the bytes that were put, or null when the ref is unknown.
 */
export interface BlobStore {
  put(body: Uint8Array): Promise<StoredBlob>;
  get(ref: string): Promise<Uint8Array | null>;
  has(ref: string): Promise<boolean>;
  close(): Promise<void>;
}
