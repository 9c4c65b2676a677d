import type { Logger } from '@elemta/infra/logger';
import type { DeliveryResult } from './deliver-message.js';

/** The queue as the worker sees it: claims with leases (projections/queue), in PostgreSQL so that nodes share it. */
export type DeliveryQueue = Readonly<{
  /** Up to `limit` due messages, each leased to this worker; never one that another worker holds. */
  claim(limit: number): Promise<string[]>;
  /** Gives claims back; the messages are not claimed again for `holdOffMs` (the view may lag the log). */
  release(messageIds: readonly string[], holdOffMs: number): Promise<void>;
  /** Drops the claims of settled messages, whose queue rows are going; may be done lazily, in bulk. */
  forget(messageIds: readonly string[]): void;
  /** Extends the leases of messages still being delivered; returns the ids whose lease is still this worker's. */
  renew(messageIds: readonly string[]): Promise<readonly string[]>;
  /** Periodic housekeeping: old leases, old throttle windows, DSNs a crash left uncreated. */
  housekeeping(): Promise<void>;
}>;

export type DeliveryWorkerOptions = Readonly<{
  queue: DeliveryQueue;
  deliver: (messageId: string) => Promise<DeliveryResult>;
  concurrency: number;
  batchSize: number;
  leaseMs: number;
  pollIntervalMs: number;
  /** How long a delivered message's claim keeps others off while the queue view catches up. */
  releaseHoldOffMs?: number;
  housekeepingIntervalMs?: number;
  now: () => Date;
  log: Logger;
}>;

/**
 * Claims due messages and delivers them, up to `concurrency` at once. Woken by `wake()` (the queue projection
 * applied events) or every `pollIntervalMs`. Leases are renewed while a delivery runs; a worker that dies leaves its
 * messages to others when the lease runs out. `stop()` claims nothing more and waits for the deliveries in flight.
 */
export class DeliveryWorker {
  private readonly inFlight = new Map<string, Promise<void>>();
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private woken = false;
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly options: DeliveryWorkerOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
    const { leaseMs, housekeepingIntervalMs = 60_000 } = this.options;
    // three renewals per lease: one late or failed renewal does not lose the claim
    this.timers.push(setInterval(() => this.renew(), Math.max(100, leaseMs / 3)).unref());
    this.timers.push(setInterval(() => this.housekeep(), housekeepingIntervalMs).unref());
    this.housekeep();
  }

  /** Something may have become due: claim now instead of at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.wakeUp?.();
    await this.loop;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  get activeDeliveries(): number {
    return this.inFlight.size;
  }

  private async run(): Promise<void> {
    const { concurrency, batchSize, log } = this.options;
    while (this.running) {
      const room = concurrency - this.inFlight.size;
      let claimed: string[] = [];
      if (room > 0) {
        this.woken = false;
        try {
          claimed = await this.options.queue.claim(Math.min(batchSize, room));
        } catch (err) {
          log.error({ err }, 'could not claim from the queue');
        }
        for (const id of claimed) this.inFlight.set(id, this.deliver(id));
      }
      // a full batch means more may be due: go again at once, unless every slot is busy
      if (claimed.length > 0 && claimed.length === Math.min(batchSize, room) && this.inFlight.size < concurrency) continue;
      if (this.woken && this.inFlight.size < concurrency) continue;
      await this.sleep(this.options.pollIntervalMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() { clearTimeout(timer); resolve(); }
      this.wakeUp = () => { this.wakeUp = null; done(); };
    });
  }

  private async deliver(messageId: string): Promise<void> {
    const { queue, log, now } = this.options;
    let holdOffMs = this.options.releaseHoldOffMs ?? 250;
    try {
      const { retryAt, settled } = await this.options.deliver(messageId);
      if (settled) {
        queue.forget([messageId]);
        this.inFlight.delete(messageId);
        this.wakeUp?.();
        return;
      }
      if (retryAt) holdOffMs = Math.max(holdOffMs, retryAt.getTime() - now().getTime());
    } catch (err) {
      // the event store failed: keep the lease so the message is tried again once it runs out
      log.error({ err, messageId }, 'delivery could not be recorded; the message will be tried again when its claim runs out');
      this.inFlight.delete(messageId);
      this.wakeUp?.();
      return;
    }
    try {
      await queue.release([messageId], holdOffMs);
    } catch (err) {
      log.warn({ err, messageId }, 'could not release a claim; it runs out by itself');
    } finally {
      this.inFlight.delete(messageId);
      this.wakeUp?.(); // a slot is free
    }
  }

  private renew(): void {
    const ids = [...this.inFlight.keys()];
    if (ids.length === 0) return;
    this.options.queue.renew(ids).then((kept) => {
      const held = new Set(kept);
      const lost = ids.filter((id) => this.inFlight.has(id) && !held.has(id));
      // another worker may deliver these too; the log records one outcome, the peer may see the message twice
      if (lost.length > 0) this.options.log.warn({ messageIds: lost }, 'claims ran out during delivery');
    }, (err: unknown) => this.options.log.warn({ err }, 'could not renew claims'));
  }

  private housekeep(): void {
    this.options.queue.housekeeping().catch((err: unknown) => this.options.log.warn({ err }, 'queue housekeeping failed'));
  }
}
