import type { BodyRow, InsertedRow, InsertRow } from './queries.js';

export type FlushInfo = Readonly<{ events: number; seconds: number; batch: number }>;

export type GroupCommitOptions = Readonly<{
  /** Inserts the rows (and the bodies, if any) in ONE autocommit statement and returns the event rows in order. */
  insert: (rows: readonly InsertRow[], bodies: readonly BodyRow[]) => Promise<InsertedRow[]>;
  /** Whether a failed batch should be retried append by append (a conflict or bad data in one append). */
  isolate: (err: unknown) => boolean;
  /** Most appends per statement. */
  maxBatch: number;
  /**
   * Statements in flight at once (default 1). More than one lets a new batch start while the previous one waits
   * for its WAL flush; PostgreSQL's own group commit then shares flushes between them.
   */
  maxInFlight?: number;
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
  readonly #maxInFlight: number;
  #queue: Pending[] = [];
  #inFlight = 0;
  #scheduled = false;
  #idleWaiters: Array<() => void> = [];

  constructor(options: GroupCommitOptions) {
    this.#options = options;
    this.#maxInFlight = Math.max(1, options.maxInFlight ?? 1);
  }

  /** `bodies` are message bodies committed in the same statement as the rows (see PostgresEventStore.appendWithBody). */
  append(rows: readonly InsertRow[], bodies: readonly BodyRow[] = []): Promise<InsertedRow[]> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ rows, bodies, resolve, reject });
      this.#schedule();
    });
  }

  /** Resolves when every queued append has settled. */
  idle(): Promise<void> {
    if (this.#queue.length === 0 && this.#inFlight === 0 && !this.#scheduled) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Gathers the appends of the current event-loop turn, then starts as many statements as there are free slots. */
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#queue.length > 0 && this.#inFlight < this.#maxInFlight) {
      const batch = this.#queue.splice(0, this.#options.maxBatch);
      this.#inFlight++;
      void this.#flush(batch).finally(() => {
        this.#inFlight--;
        if (this.#queue.length > 0) this.#pump();
        else if (this.#inFlight === 0 && !this.#scheduled) this.#idleWaiters.splice(0).forEach((r) => r());
      });
    }
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
