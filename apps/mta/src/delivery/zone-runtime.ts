import type { ZoneConfig } from '@elemta/infra/config';
import type { ThrottleLimit, ThrottleResult } from '@elemta/infra/postgres';

/** A counting semaphore: at most `size` holders at once, waiters served in order. */
export class Semaphore {
  private held = 0;
  private readonly waiters: Array<() => void> = [];
  constructor(private readonly size: number) {}

  async acquire(): Promise<() => void> {
    if (this.held >= this.size) await new Promise<void>((resolve) => this.waiters.push(resolve));
    else this.held++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next(); // the slot passes straight to the next waiter
      else this.held--;
    };
  }

  get inUse(): number {
    return this.held;
  }
}

/** FNV-1a: a stable, cheap hash so that one destination domain keeps one source address. */
const hash = (text: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
};

export type ThrottleTaker = (limits: readonly ThrottleLimit[]) => Promise<ThrottleResult>;

/**
 * A sending zone at run time (ZoneMTA's zones): its connection slots on this node, the source address for a
 * destination (stable per domain, so a receiver sees one IP of the pool per domain), and its throttles, which are
 * counted in PostgreSQL so that they hold across nodes.
 */
export class ZoneRuntime {
  private readonly slots: Semaphore;

  constructor(readonly name: string, private readonly config: ZoneConfig, private readonly takeThrottle: ThrottleTaker) {
    this.slots = new Semaphore(config.maxConnections);
  }

  localAddressFor(domain: string): string | null {
    const pool = this.config.bindAddresses;
    return pool.length === 0 ? null : pool[hash(domain) % pool.length]!;
  }

  /** The limits one delivery to `domain` counts against. */
  limitsFor(domain: string): ThrottleLimit[] {
    const limits: ThrottleLimit[] = [];
    if (this.config.throttle) limits.push({ key: `zone:${this.name}`, ...this.config.throttle });
    const perDomain = this.config.domainThrottles[domain] ?? this.config.domainThrottle;
    if (perDomain) limits.push({ key: `zone:${this.name}:domain:${domain}`, ...perDomain });
    return limits;
  }

  throttle(domain: string): Promise<ThrottleResult> {
    return this.takeThrottle(this.limitsFor(domain));
  }

  acquireSlot(): Promise<() => void> {
    return this.slots.acquire();
  }

  get activeDeliveries(): number {
    return this.slots.inUse;
  }
}
