import { describe, expect, it } from 'vitest';
import {
  asGlobalPosition, asMessageId, DomainError, handleCommand, messageDecider, messageStream, planRecipients, WrongExpectedVersionError,
  type AcceptMessage, type AnyDomainEvent, type AppendOptions, type EventStore, type RecordedEvent, type StreamName,
} from '@elemta/domain';
import type { QueueReadModel } from '@elemta/projections';
import { createMessageCommands, MAX_FILTER_SELECTION } from './message-commands.js';

const now = new Date('2026-11-20T10:00:00.000Z');
const idOf = (n: number) => `0190f3c2-0000-7000-8000-${String(n).padStart(12, '0')}`;

/** The EventStore port over a Map, enough for `handleCommand`; it counts how many reads overlap. */
class InMemoryEventStore {
  readonly streams = new Map<string, RecordedEvent[]>();
  inFlight = 0;
  maxInFlight = 0;

  async readStream(stream: StreamName) {
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    await new Promise((r) => setTimeout(r, 1));
    this.inFlight--;
    const events = this.streams.get(stream) ?? [];
    return { version: events.length, events: [...events] };
  }

  async appendToStream(stream: StreamName, events: readonly AnyDomainEvent[], { expectedVersion, metadata }: AppendOptions) {
    const existing = this.streams.get(stream) ?? [];
    if (expectedVersion !== 'any' && expectedVersion !== existing.length) throw new WrongExpectedVersionError(stream, expectedVersion, existing.length);
    const recorded = events.map((e, i) => ({ ...e, metadata: { ...metadata, stream, version: existing.length + i + 1 } }) as unknown as RecordedEvent);
    this.streams.set(stream, [...existing, ...recorded]);
    return { version: existing.length + events.length, position: asGlobalPosition(String(existing.length)) };
  }
}

const accept = (store: EventStore, messageId: string) => {
  const command: AcceptMessage = {
    type: 'AcceptMessage',
    data: {
      messageId, sessionId: null, envelope: { mailFrom: 'alice@example.org', rcptTo: ['bob@example.net'], params: {} },
      sizeBytes: 10, bodySha256: 'a'.repeat(64), bodyRef: 'a'.repeat(64),
      headers: { from: null, to: null, subject: null, messageId: null, date: null }, authentication: null, client: null,
      listener: 'mx', authUser: null, tls: null, annotations: {},
      recipients: planRecipients(['bob@example.net'], { defaultRoute: 'capture', domains: {}, defaultZone: 'default', defaultPriority: 'normal' }, now.toISOString()),
    },
    metadata: { now: now.toISOString() },
  };
  return handleCommand(store, messageDecider, messageStream(asMessageId(messageId)), command, {
    correlationId: messageId, causationId: null, actor: 'smtp:127.0.0.1', node: 'n1',
  });
};

const setup = async (count: number) => {
  const memory = new InMemoryEventStore();
  const store = memory as unknown as EventStore;
  for (let i = 1; i <= count; i++) await accept(store, idOf(i));
  const filterCalls: unknown[][] = [];
  const queue: QueueReadModel = {
    list: async () => { throw new Error('not used'); },
    summary: async () => { throw new Error('not used'); },
    messageIdsMatching: async (filter, limit) => { filterCalls.push([filter, limit]); return Array.from({ length: count }, (_, i) => idOf(i + 1)); },
  };
  const commands = createMessageCommands({ store, queue, node: 'n1', now: () => now });
  return { memory, commands, filterCalls };
};

const typesOf = (memory: InMemoryEventStore, id: string) => (memory.streams.get(`message-${id}`) ?? []).map((e) => e.type);

describe('message commands', () => {
  it('holds each selected message once, recording the actor and reason, and counts a repeated hold as unchanged', async () => {
    const { memory, commands } = await setup(2);
    const input = { messageIds: [idOf(1), idOf(1).toUpperCase()], actor: 'api-key:k1', reason: 'spam' };
    expect(await commands.hold(input)).toEqual({ matched: 1, changed: 1, unchanged: 0, failures: [] });
    expect(await commands.hold(input)).toEqual({ matched: 1, changed: 0, unchanged: 1, failures: [] });
    const held = memory.streams.get(`message-${idOf(1)}`)!.at(-1)!;
    expect(held).toMatchObject({
      type: 'MessageHeld', data: { messageId: idOf(1), actor: 'api-key:k1', reason: 'spam', at: now.toISOString() },
      metadata: { correlationId: idOf(1), causationId: null, actor: 'api-key:k1', node: 'n1' },
    });
    expect(typesOf(memory, idOf(2))).toEqual(['MessageAccepted', 'MessageQueued']);
  });

  it('collects refusals per message and goes on with the others', async () => {
    const { commands } = await setup(2);
    await commands.cancel({ messageIds: [idOf(2)], actor: 'api-key:k1', reason: '' });
    const result = await commands.release({ messageIds: [idOf(1), idOf(2), idOf(99), 'nonsense'], actor: 'api-key:k1', reason: '' });
    expect(result).toMatchObject({ matched: 4, changed: 0, unchanged: 0 });
    expect(result.failures.map((f) => [f.messageId, f.code])).toEqual([
      [idOf(1), 'MESSAGE_NOT_HELD'], [idOf(2), 'MESSAGE_CANCELLED'], [idOf(99), 'MESSAGE_NOT_FOUND'], ['nonsense', 'MESSAGE_NOT_FOUND'],
    ]);
  });

  it('selects by filter through the queue view, at most 10,000 messages, 16 at a time', async () => {
    const { memory, commands, filterCalls } = await setup(40);
    memory.maxInFlight = 0;
    const result = await commands.retry({ filter: { domain: 'example.net' }, actor: 'api-key:k1', reason: '' });
    expect(result).toEqual({ matched: 40, changed: 40, unchanged: 0, failures: [] });
    expect(filterCalls).toEqual([[{ domain: 'example.net' }, MAX_FILTER_SELECTION]]);
    expect(memory.maxInFlight).toBe(16);
    expect(typesOf(memory, idOf(40)).at(-1)).toBe('RetryRequested');
  });

  it.each([
    ['both ids and a filter', { messageIds: [idOf(1)], filter: { domain: 'example.net' } }],
    ['neither', {}],
  ])('refuses %s as BAD_SELECTION', async (_what, selection) => {
    const { commands } = await setup(1);
    await expect(commands.cancel({ ...selection, actor: 'api-key:k1', reason: '' })).rejects.toMatchObject(
      new DomainError('BAD_SELECTION', 'give exactly one of messageIds and filter'),
    );
  });

  it('rejects on an infrastructure failure after the messages in flight finish', async () => {
    const { memory, commands } = await setup(3);
    memory.appendToStream = async () => { throw new Error('connection refused'); };
    await expect(commands.hold({ messageIds: [idOf(1), idOf(2), idOf(3)], actor: 'api-key:k1', reason: '' })).rejects.toThrow('connection refused');
  });
});
