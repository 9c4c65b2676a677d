import type { BodyRow, InsertedRow, InsertRow } from './queries.js';

export type FlushInfo = Readonly<{ events: number; seconds: number; batch: number }>;

export type GroupCommitOptions = Readonly<{
  /** Inserts the rows (and the bodies, if any) in ONE autocommit statement and returns the event rows in order. */
  insert: (rows: readonly InsertRow[], bodies: readonly BodyRow[]) => Promise<InsertedRow[]>;
  /** Whether a failed batch should be retried append by append (a conflict or bad data in one append). */
  isolate: (err: unknown) => boolean;
  /** Most appends per statement. */
  maxBatch: number;
  onFlush?: (info: FlushInfo) => void;
}>;

type Pending = { rows: readonly InsertRow[]; bodies: readonly BodyRow[]; resolve: (rows: InsertedRow[]) => void; reject: (err: unknown) => void };

const keyOf = (stream: string, version: number) => `${version}\u0000${stream}`;

/**
 * Group commit: appends that arrive while a statement is in flight wait and go together in the next one, so a
 * burst of concurrent SMTP acceptances costs one transaction, one WAL flush and one round trip. Nothing waits for
 * a timer: an idle committer starts the next statement at once (after setImmediate, which only gathers the appends
 * of the current event-loop turn). A caller's promise settles only after the statement that carried its rows
 * committed or failed. When a batch fails for a reason that one append can cause (a version conflict, bad data),
 * the appends are retried one by one so only the guilty one fails.
 */
export class GroupCommitter {
  readonly #options: GroupCommitOptions;
  #queue: Pending[] = [];
  #draining: Promise<void> | null = null;

  constructor(options: GroupCommitOptions) {
    this.#options = options;
  }

  /** `bodies` are message bodies committed in the same statement as the rows (see PostgresEventStore.appendWithBody). */
  append(rows: readonly InsertRow[], bodies: readonly BodyRow[] = []): Promise<InsertedRow[]> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ rows, bodies, resolve, reject });
      this.#draining ??= new Promise<void>((r) => setImmediate(r)).then(() => this.#drain());
    });
  }

  /** Resolves when every queued append has settled. */
  async idle(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      await this.#flush(this.#queue.splice(0, this.#options.maxBatch));
    }
    // Reset in the same synchronous step as the emptiness check: an append arriving later starts a new drain.
    this.#draining = null;
  }

  async #flush(batch: Pending[]): Promise<void> {
    const rows = batch.flatMap((p) => p.rows);
    const bodies = batch.flatMap((p) => p.bodies);
    const started = performance.now();
    let inserted: InsertedRow[];
    try {
      inserted = await this.#options.insert(rows, bodies);
    } catch (err) {
      if (batch.length > 1 && this.#options.isolate(err)) {
        for (const pending of batch) await this.#flush([pending]);
      } else {
        for (const pending of batch) pending.reject(err);
      }
      return;
    }
    try {
      this.#options.onFlush?.({ events: rows.length, seconds: (performance.now() - started) / 1000, batch: batch.length });
    } catch { /* a metrics callback must not fail committed appends */ }
    const byKey = new Map(inserted.map((row) => [keyOf(row.stream, row.version), row]));
    for (const pending of batch) {
      const mine = pending.rows.map((r) => byKey.get(keyOf(r.stream, r.version)));
      if (mine.every((r): r is InsertedRow => r !== undefined)) pending.resolve(mine);
      else pending.reject(new Error('inserted rows missing from RETURNING'));
    }
  }
}
