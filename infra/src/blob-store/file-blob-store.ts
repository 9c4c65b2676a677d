import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BlobStore, StoredBlob } from '@elemta/domain';
import { BlobCorruptedError, BlobStoreError } from './blob-store-errors.js';
import { fsyncDir, fsyncTree } from './fsync-dir.js';
import { GroupedSync } from './grouped-sync.js';
import { isSha256Hex, sha256Hex } from './sha256.js';

export type FileBlobStoreOptions = Readonly<{ dir: string }>;

const errnoCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | null)?.code;

/**
 * Message bodies as files, content-addressed by sha256 at `<dir>/<aa>/<bb>/<sha256>` (mode 0600).
 *
 * Guarantees (the BlobStore port's): `put` resolves only after the bytes were written to a temporary file in
 * the final directory, fdatasync'd, renamed into place and the directory fsync'd, so the entry survives a
 * power cut; a file is never visible half-written. Putting bytes that are already stored writes nothing.
 * `get` verifies the hash and throws BlobCorruptedError rather than return other bytes.
 * Concurrent puts share directory fsyncs (GroupedSync), and fan-out directories are created once per process.
 */
export class FileBlobStore implements BlobStore {
  private readonly dir: string;
  private readonly dirSync = new GroupedSync(fsyncDir);
  private readonly fanOut = new Map<string, Promise<void>>();
  private readonly inFlight = new Map<string, Promise<StoredBlob>>();
  private treeSynced: Promise<void> | null = null;
  private tmpCounter = 0;
  private closed = false;

  constructor(options: FileBlobStoreOptions) {
    this.dir = options.dir;
  }

  /** Where the blob with this ref lives (or would live). */
  /**
   * Deletes the temporary files that writes interrupted by a crash left beside their final names
   * (`<sha256>.<pid>.<n>.tmp`); those of this process are kept. Returns how many it removed. Never a body:
   * a body is only ever visible under its final name, after its rename.
   */
  async sweepTemporaryFiles(): Promise<number> {
    const mine = `.${process.pid}.`;
    let removed = 0;
    const list = async (dir: string) => readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const first of await list(this.dir)) {
      if (!first.isDirectory() || !/^[0-9a-f]{2}$/.test(first.name)) continue;
      for (const second of await list(join(this.dir, first.name))) {
        if (!second.isDirectory()) continue;
        const leaf = join(this.dir, first.name, second.name);
        for (const entry of await list(leaf)) {
          if (entry.isFile() && entry.name.endsWith('.tmp') && !entry.name.includes(mine)) {
            await unlink(join(leaf, entry.name)).then(() => removed++, () => {});
          }
        }
      }
    }
    return removed;
  }

  pathOf(ref: string): string {
    return join(this.dir, ref.slice(0, 2), ref.slice(2, 4), ref);
  }

  put(body: Uint8Array): Promise<StoredBlob> {
    if (this.closed) return Promise.reject(new BlobStoreError('blob store is closed'));
    const sha256 = sha256Hex(body);
    // The same bytes put twice at once: one writer, both callers wait for its fsyncs.
    const pending = this.inFlight.get(sha256);
    if (pending) return pending;
    const stored = this.store(sha256, body).finally(() => this.inFlight.delete(sha256));
    this.inFlight.set(sha256, stored);
    return stored;
  }

  async get(ref: string): Promise<Uint8Array | null> {
    if (!isSha256Hex(ref)) return null;
    const path = this.pathOf(ref);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return null;
      throw new BlobStoreError(`cannot read blob ${ref}: ${(err as Error).message}`, { cause: err });
    }
    const actual = sha256Hex(bytes);
    if (actual !== ref) throw new BlobCorruptedError(ref, actual, path);
    return bytes;
  }

  async has(ref: string): Promise<boolean> {
    if (!isSha256Hex(ref)) return false;
    try {
      return (await stat(this.pathOf(ref))).isFile();
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return false;
      throw new BlobStoreError(`cannot stat blob ${ref}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Refuses new puts and waits for those under way. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private async store(sha256: string, body: Uint8Array): Promise<StoredBlob> {
    const path = this.pathOf(sha256);
    const leaf = dirname(path);
    const result: StoredBlob = { sha256, ref: sha256, sizeBytes: body.byteLength };
    try {
      await this.ensureDir(leaf);
      // A file of the right size was renamed into place complete; a wrong size means damage, so rewrite it.
      const existing = await stat(path).catch((err: unknown) => {
        if (errnoCode(err) === 'ENOENT') return null;
        throw err;
      });
      if (existing?.size !== body.byteLength) await this.writeAtomically(path, body);
      // Also when it existed: an earlier process may have crashed after its rename and before its fsync.
      await this.dirSync.sync(leaf);
      return result;
    } catch (err) {
      throw new BlobStoreError(`cannot store blob ${sha256}: ${(err as Error).message}`, { cause: err });
    }
  }

  private async writeAtomically(path: string, body: Uint8Array): Promise<void> {
    const tmp = `${path}.${process.pid}.${this.tmpCounter++}.tmp`;
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(body);
      // fdatasync also flushes the size, which reading the data back needs (POSIX); mtime may lag.
      await handle.datasync();
    } catch (err) {
      await handle.close().catch(() => {});
      await unlink(tmp).catch(() => {});
      throw err;
    }
    await handle.close();
    await rename(tmp, path).catch(async (err: unknown) => {
      await unlink(tmp).catch(() => {});
      throw err;
    });
  }

  /** Creates `<aa>/<bb>` once per process and makes the new entries durable before the first file goes in. */
  private ensureDir(leaf: string): Promise<void> {
    let ready = this.fanOut.get(leaf);
    if (!ready) {
      ready = this.createDir(leaf);
      this.fanOut.set(leaf, ready);
      ready.catch(() => this.fanOut.delete(leaf));
    }
    return ready;
  }

  private async createDir(leaf: string): Promise<void> {
    const created = await mkdir(leaf, { recursive: true, mode: 0o700 });
    this.treeSynced ??= fsyncTree(this.dir).catch((err: unknown) => {
      this.treeSynced = null;
      throw err;
    });
    await this.treeSynced;
    if (created === undefined) return;
    // A new `<bb>` needs its entry in `<aa>` durable, and a new `<aa>` (possibly made by a concurrent put
    // that has not synced yet) its entry in the root: sync both, grouped with other puts' syncs.
    await Promise.all([this.dirSync.sync(dirname(leaf)), this.dirSync.sync(this.dir)]);
  }
}
