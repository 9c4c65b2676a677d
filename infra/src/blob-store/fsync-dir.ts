import { open, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** fsync(2) on a directory makes its entries (new files, renames, subdirectories) durable. */
export const fsyncDir = async (dir: string): Promise<void> => {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
};

/**
 * Makes the fan-out tree's own entries durable: the root (and its entry in its parent) and each first-level directory. Needed once per
 * process, because a directory left by an earlier process may exist in the page cache only (it crashed
 * between mkdir and fsync), and a blob acknowledged inside it would vanish with it on a power cut.
 */
export const fsyncTree = async (root: string): Promise<void> => {
  const entries = await readdir(root, { withFileTypes: true });
  await Promise.all(entries.filter((e) => e.isDirectory() && /^[0-9a-f]{2}$/.test(e.name)).map((e) => fsyncDir(join(root, e.name))));
  await fsyncDir(root);
  await fsyncDir(dirname(root));
};
