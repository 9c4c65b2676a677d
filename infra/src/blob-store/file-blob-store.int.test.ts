import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeBlobStoreContract } from './blob-store.contract.js';
import { BlobCorruptedError, BlobStoreError } from './blob-store-errors.js';
import { FileBlobStore } from './file-blob-store.js';

const root = mkdtempSync(join(tmpdir(), 'elemta-blobs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `store-${dirs++}`);

describeBlobStoreContract('FileBlobStore', async () => ({ store: new FileBlobStore({ dir: freshDir() }), teardown: async () => {} }));

const allFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allFiles(join(dir, e.name)) : [join(dir, e.name)]));

describe('FileBlobStore on disk', () => {
  it('lays blobs out as <aa>/<bb>/<sha256>, private, with no temporary files left', async () => {
    const dir = freshDir();
    const store = new FileBlobStore({ dir });
    const refs = (await Promise.all(Array.from({ length: 50 }, (_, i) => store.put(Buffer.from(`body ${i}`))))).map((s) => s.ref);
    const files = allFiles(dir).sort();
    expect(files).toEqual(refs.map((ref) => join(dir, ref.slice(0, 2), ref.slice(2, 4), ref)).sort());
    expect(statSync(files[0] as string).mode & 0o777).toBe(0o600);
  });

  it('refuses to return bytes that no longer match their hash', async () => {
    const store = new FileBlobStore({ dir: freshDir() });
    const { ref } = await store.put(Buffer.from('Subject: original\r\n\r\nhello\r\n'));
    writeFileSync(store.pathOf(ref), 'Subject: tampered\r\n\r\nhello\r\n');
    await expect(store.get(ref)).rejects.toBeInstanceOf(BlobCorruptedError);
    await expect(store.get(ref)).rejects.toThrow(`blob ${ref} is corrupt`);
  });

  it('rewrites a damaged file when the same bytes are put again', async () => {
    const store = new FileBlobStore({ dir: freshDir() });
    const body = Buffer.from('Subject: repair me\r\n\r\nhello\r\n');
    const { ref } = await store.put(body);
    truncateSync(store.pathOf(ref), 5);
    await expect(store.get(ref)).rejects.toBeInstanceOf(BlobCorruptedError);
    await store.put(body);
    expect(Buffer.from((await store.get(ref)) as Uint8Array)).toEqual(body);
  });

  it('finds blobs written by an earlier instance', async () => {
    const dir = freshDir();
    const { ref } = await new FileBlobStore({ dir }).put(Buffer.from('kept'));
    const reopened = new FileBlobStore({ dir });
    expect(await reopened.has(ref)).toBe(true);
    expect(Buffer.from((await reopened.get(ref)) as Uint8Array).toString()).toBe('kept');
  });

  it('fails with BlobStoreError when the directory cannot be created, and after close', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, '');
    await expect(new FileBlobStore({ dir: join(file, 'blobs') }).put(Buffer.from('x'))).rejects.toBeInstanceOf(BlobStoreError);
    const store = new FileBlobStore({ dir: freshDir() });
    await store.close();
    await expect(store.put(Buffer.from('x'))).rejects.toThrow(/closed/);
  });
});

describe('FileBlobStore temporary files', () => {
  it('sweeps the temporary files an interrupted write left behind, keeping bodies and its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'elemta-sweep-'));
    try {
      const store = new FileBlobStore({ dir });
      const { ref } = await store.put(Buffer.from('Subject: kept\r\n\r\nbody\r\n'));
      const leaf = dirname(store.pathOf(ref));
      const stale = join(leaf, `${ref}.999999.0.tmp`);
      const ours = join(leaf, `${ref}.${process.pid}.7.tmp`);
      writeFileSync(stale, 'half a body');
      writeFileSync(ours, 'being written');
      expect(await store.sweepTemporaryFiles()).toBe(1);
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(ours)).toBe(true);
      expect(await store.get(ref)).not.toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
