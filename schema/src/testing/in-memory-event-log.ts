import { DomainError } from '@elemta/domain';
import type { EventLog, EventRecord } from '../event-log.js';

/**
 * The EventLog port over an array in global order, for the schema's unit tests. Positions are whatever the events
 * carry; an `after` that is none of them throws INVALID_CURSOR, as the real log does for a position it did not produce.
 */
export class InMemoryEventLog implements EventLog {
  readonly readAllCalls: Parameters<EventLog['readAll']>[0][] = [];

  constructor(private readonly events: readonly EventRecord[] = []) {}

  async readAll(options: Parameters<EventLog['readAll']>[0]): Promise<readonly EventRecord[]> {
    this.readAllCalls.push(options);
    const start = options.after === null ? 0 : this.events.findIndex((e) => e.position === options.after) + 1;
    if (start === 0 && options.after !== null) throw new DomainError('INVALID_CURSOR', `not a position: ${options.after}`);
    return this.events.slice(start).filter((e) => !options.types || options.types.includes(e.type)).slice(0, options.limit);
  }

  async readStream(stream: string): Promise<readonly EventRecord[]> {
    return this.events.filter((e) => e.stream === stream).sort((a, b) => a.version - b.version);
  }
}

/** An event record with defaults for what a test does not care about. */
export const aRecord = (overrides: Partial<EventRecord> & Pick<EventRecord, 'type' | 'data'>): EventRecord => ({
  position: '1/1',
  stream: 'message-0190f3c2-0000-7000-8000-000000000001',
  version: 1,
  schemaVersion: 1,
  recordedAt: '2026-11-20T09:30:00.000Z',
  metadata: { actor: 'smtp:192.0.2.10', correlationId: '0190f3c2-0000-7000-8000-000000000001', causationId: null, node: 'n1', prevHash: '0'.repeat(64), hash: 'h1' },
  ...overrides,
});
