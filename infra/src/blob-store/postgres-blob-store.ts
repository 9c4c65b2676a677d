import type pg from 'pg';
import type { BlobStore, StoredBlob } from '@elemta/domain';
import { createBatcher } from '../postgres/batcher.js';
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

export type PostgresBlobStoreOptions = Readonly<{ pool: pg.Pool; maxBatch?: number }>;

const INSERT_SQL = `INSERT INTO blobs (sha256, size, body)
  SELECT * FROM unnest($1::text[], $2::int[], $3::bytea[]) ON CONFLICT (sha256) DO NOTHING`;

/**
 * Message bodies in the `blobs` table, for nodes that share a database but no disk.
 *
 * Guarantees (the BlobStore port's): `put` resolves after its INSERT committed (an autocommit statement;
 * durable as far as the server's `synchronous_commit` makes commits durable). Concurrent puts are group-committed:
 * one multi-row INSERT, one round trip and one WAL flush for all the bodies of a burst of SMTP acceptances. Putting stored bytes again is
 * a no-op (ON CONFLICT DO NOTHING; a concurrent put of the same bytes waits for the first one's commit).
 * `get` verifies the hash. The pool belongs to the caller: `close` does not end it.
 */
export class PostgresBlobStore implements BlobStore {
  private readonly pool: pg.Pool;
  private readonly batcher;
  private readonly reads;

  constructor(options: PostgresBlobStoreOptions) {
    this.pool = options.pool;
    this.batcher = createBatcher<{ sha256: string; body: Uint8Array }, void>(async (items) => {
      // one row per distinct body: the same bytes twice in one statement would trip ON CONFLICT's own check
      const unique = [...new Map(items.map((i) => [i.sha256, i])).values()];
      await this.pool.query(INSERT_SQL, [
        unique.map((i) => i.sha256), unique.map((i) => i.body.byteLength), unique.map((i) => Buffer.from(i.body.buffer, i.body.byteOffset, i.body.byteLength)),
      ]);
      return items.map(() => undefined);
    }, options.maxBatch ?? 200);
    // gets of one event-loop turn (a worker's batch of claimed messages) share one SELECT
    this.reads = createBatcher<string, Buffer | null>(async (refs) => {
      const { rows } = await this.pool.query<{ sha256: string; body: Buffer }>({
        name: 'elemta_read_blobs', text: 'SELECT sha256, body FROM blobs WHERE sha256 = ANY($1::text[])', values: [[...new Set(refs)]],
      });
      const found = new Map(rows.map((r) => [r.sha256, r.body]));
      return refs.map((ref) => found.get(ref) ?? null);
    }, options.maxBatch ?? 200);
  }

  async put(body: Uint8Array): Promise<StoredBlob> {
    const sha256 = sha256Hex(body);
    try {
      await this.batcher.add({ sha256, body });
    } catch (err) {
      throw new BlobStoreError(`cannot store blob ${sha256}: ${(err as Error).message}`, { cause: err });
    }
    return { sha256, ref: sha256, sizeBytes: body.byteLength };
  }

  async get(ref: string): Promise<Uint8Array | null> {
    if (!isSha256Hex(ref)) return null;
    let body: Buffer | null;
    try {
      body = await this.reads.add(ref);
    } catch (err) {
      throw new BlobStoreError(`cannot read blob ${ref}: ${(err as Error).message}`, { cause: err });
    }
    if (!body) return null;
    const actual = sha256Hex(body);
    if (actual !== ref) throw new BlobCorruptedError(ref, actual, 'blobs row');
    return body;
  }

  async has(ref: string): Promise<boolean> {
    if (!isSha256Hex(ref)) return false;
    return (await this.query('SELECT 1 FROM blobs WHERE sha256 = $1', ref)).rowCount === 1;
  }

  async close(): Promise<void> {
    await this.batcher.idle();
    await this.reads.idle();
  }

  private async query<R extends pg.QueryResultRow>(sql: string, ref: string): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, [ref]);
    } catch (err) {
      throw new BlobStoreError(`cannot read blob ${ref}: ${(err as Error).message}`, { cause: err });
    }
  }
}
