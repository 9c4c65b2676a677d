import type pg from 'pg';
import type { BlobStore, StoredBlob } from '@elemta/domain';
import type { Migration } from '../postgres/migrations.js';
import { BlobCorruptedError, BlobStoreError } from './blob-store-errors.js';
import { isSha256Hex, sha256Hex } from './sha256.js';

/**
 * `body` is stored out of line and uncompressed (STORAGE EXTERNAL): bodies are large, written once and
 * read whole, so compressing them would spend CPU on the acceptance path for little gain.
 * ALTER rather than a column STORAGE clause, which needs PostgreSQL 16 on an external server.
 */
export const blobStoreMigrations: readonly Migration[] = [
  {
    id: 'blob-store/0001-blobs',
    sql: `
      CREATE TABLE blobs (
        sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        size integer NOT NULL CHECK (size >= 0),
        body bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      ALTER TABLE blobs ALTER COLUMN body SET STORAGE EXTERNAL;`,
  },
];

export type PostgresBlobStoreOptions = Readonly<{ pool: pg.Pool }>;

/**
 * Message bodies in the `blobs` table, for nodes that share a database but no disk.
 *
 * Guarantees (the BlobStore port's): `put` resolves after its INSERT committed (an autocommit statement;
 * durable as far as the server's `synchronous_commit` makes commits durable). Putting stored bytes again is
 * a no-op (ON CONFLICT DO NOTHING; a concurrent put of the same bytes waits for the first one's commit).
 * `get` verifies the hash. The pool belongs to the caller: `close` does not end it.
 */
export class PostgresBlobStore implements BlobStore {
  private readonly pool: pg.Pool;

  constructor(options: PostgresBlobStoreOptions) {
    this.pool = options.pool;
  }

  async put(body: Uint8Array): Promise<StoredBlob> {
    const sha256 = sha256Hex(body);
    try {
      await this.pool.query(
        'INSERT INTO blobs (sha256, size, body) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING',
        [sha256, body.byteLength, body],
      );
    } catch (err) {
      throw new BlobStoreError(`cannot store blob ${sha256}: ${(err as Error).message}`, { cause: err });
    }
    return { sha256, ref: sha256, sizeBytes: body.byteLength };
  }

  async get(ref: string): Promise<Uint8Array | null> {
    if (!isSha256Hex(ref)) return null;
    const result = await this.query<{ body: Buffer }>('SELECT body FROM blobs WHERE sha256 = $1', ref);
    const row = result.rows[0];
    if (!row) return null;
    const actual = sha256Hex(row.body);
    if (actual !== ref) throw new BlobCorruptedError(ref, actual, 'blobs row');
    return row.body;
  }

  async has(ref: string): Promise<boolean> {
    if (!isSha256Hex(ref)) return false;
    return (await this.query('SELECT 1 FROM blobs WHERE sha256 = $1', ref)).rowCount === 1;
  }

  async close(): Promise<void> {}

  private async query<R extends pg.QueryResultRow>(sql: string, ref: string): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, [ref]);
    } catch (err) {
      throw new BlobStoreError(`cannot read blob ${ref}: ${(err as Error).message}`, { cause: err });
    }
  }
}
