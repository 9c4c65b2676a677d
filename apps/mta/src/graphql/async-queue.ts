type Waiter<T> = { resolve: (result: IteratorResult<T>) => void; reject: (err: unknown) => void };

/**
 * Bridges a producer that pushes (an event store subscription) to a consumer that pulls (a GraphQL subscription).
 *
 * - `next()` hands out items in push order; `room()` lets the producer wait while `highWater` items are unread,
 *   so a slow client slows its reader down instead of filling memory;
 * - `end()` lets the consumer read what is queued, then finishes; `fail(err)` does the same, then rejects once;
 * - `return()` (the consumer leaving) finishes at once, even while a `next()` is waiting, drops what is queued and
 *   wakes a waiting producer;
 * - `onFinish` runs exactly once, whichever way the queue finished.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  readonly #items: T[] = [];
  readonly #waiters: Waiter<T>[] = [];
  #roomWaiters: Array<() => void> = [];
  #closed = false;
  #error: { err: unknown } | null = null;
  #finished = false;

  constructor(private readonly onFinish: () => void = () => {}, private readonly highWater = 100) {}

  get finished(): boolean {
    return this.#finished;
  }

  push(item: T): void {
    if (this.#closed) return;
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve({ value: item, done: false });
    else this.#items.push(item);
  }

  /** Resolves when fewer than `highWater` items are unread, or at once when the queue is closed. */
  room(): Promise<void> {
    if (this.#closed || this.#items.length < this.highWater) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  end(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wakeProducer();
    this.#settleWaiters();
  }

  fail(err: unknown): void {
    if (this.#closed) return;
    this.#error = { err };
    this.end();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#items.length > 0) {
      const value = this.#items.shift()!;
      if (this.#items.length < this.highWater) this.#wakeProducer();
      return Promise.resolve({ value, done: false });
    }
    if (this.#closed) return this.#finalResult();
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.#items.length = 0;
    this.#error = null;
    this.end();
    this.#finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  #finalResult(): Promise<IteratorResult<T>> {
    this.#finish();
    const error = this.#error;
    this.#error = null;
    return error ? Promise.reject(error.err) : Promise.resolve({ value: undefined, done: true });
  }

  /** Pending `next()` calls exist only while nothing is queued: they all get the end. */
  #settleWaiters(): void {
    for (const waiter of this.#waiters.splice(0)) this.#finalResult().then(waiter.resolve, waiter.reject);
  }

  #wakeProducer(): void {
    for (const wake of this.#roomWaiters.splice(0)) wake();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.onFinish();
  }
}
