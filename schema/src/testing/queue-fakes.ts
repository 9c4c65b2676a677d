import { graphql } from 'graphql';
import type { ExecutionResult } from 'graphql';
import type { QueueEntry, QueueFilter, QueueListArgs, QueuePage, QueueReadModel, QueueSummary, StatsReadModel } from '@elemta/projections';
import { DomainError } from '@elemta/domain';
import type { Context, MessageCommands, QueueActionInput, QueueActionResult, Viewer, ZoneSettings } from '../builder.js';
import { buildSchema } from '../index.js';
import { InMemoryMessageReadModel } from './in-memory-message-read-model.js';
import { RecordingSubmissions, StaticEventFeed } from './live-fakes.js';
import { InMemoryEventLog } from './in-memory-event-log.js';
import { InMemoryApiKeys, RecordingProjections } from './admin-fakes.js';
import { RecordingStatsReadModel } from './stats-fakes.js';

export const aQueueEntry = (overrides: Partial<QueueEntry> = {}): QueueEntry => ({
  messageId: '0190f3c2-0000-7000-8000-000000000001',
  recipient: 'bob@example.net',
  domain: 'example.net',
  route: 'relay',
  zone: 'default',
  priority: 'normal',
  status: 'deferred',
  mailFrom: 'alice@example.org',
  acceptedAt: '2026-11-20T09:30:00.000Z',
  nextAttemptAt: '2026-11-20T09:45:00.000Z',
  attempts: 1,
  lastAttemptAt: '2026-11-20T09:30:05.000Z',
  lastReply: { code: 451, enhancedCode: '4.7.1', text: 'Try again later', command: 'RCPT' },
  updatedPosition: '42',
  cursor: 'c0',
  ...overrides,
});

export const emptySummary: QueueSummary = {
  total: 0, byStatus: [], byZone: [], byStatusAndZone: [], byDomain: [], oldestAcceptedAt: null, oldestDueAt: null,
};

/**
 * The QueueReadModel port over an array, for the schema's unit tests. It records its calls; only `status` is
 * filtered, and a row's cursor is the index of the row after it (the real semantics are the projections' to test).
 */
export class InMemoryQueueReadModel implements QueueReadModel {
  readonly listCalls: QueueListArgs[] = [];

  constructor(private readonly rows: readonly QueueEntry[] = [], private readonly summaryValue: QueueSummary = emptySummary) {}

  async list(args: QueueListArgs): Promise<QueuePage> {
    this.listCalls.push(args);
    if (args.after && !/^\d+$/.test(args.after)) throw new DomainError('INVALID_CURSOR', 'invalid pagination cursor');
    const matching = this.rows.filter((r) => !args.filter?.status || args.filter.status.includes(r.status));
    const start = args.after ? Number(args.after) : 0;
    const rows = matching.slice(start, start + args.first).map((r, i) => ({ ...r, cursor: String(start + i + 1) }));
    const end = start + rows.length;
    return { rows, totalCount: matching.length, hasNextPage: end < matching.length, endCursor: rows.length > 0 ? String(end) : null };
  }

  async summary(): Promise<QueueSummary> {
    return this.summaryValue;
  }

  async messageIdsMatching(_filter: QueueFilter, limit: number): Promise<string[]> {
    return [...new Set(this.rows.map((r) => r.messageId))].slice(0, limit);
  }
}

type Action = keyof MessageCommands;

/** MessageCommands that record what they were asked and answer with `result` (or throw `error`). */
export class RecordingCommands implements MessageCommands {
  readonly calls: { action: Action; input: QueueActionInput }[] = [];
  result: QueueActionResult = { matched: 0, changed: 0, unchanged: 0, failures: [] };
  error: Error | null = null;

  hold = (input: QueueActionInput) => this.record('hold', input);
  release = (input: QueueActionInput) => this.record('release', input);
  cancel = (input: QueueActionInput) => this.record('cancel', input);
  retry = (input: QueueActionInput) => this.record('retry', input);

  private async record(action: Action, input: QueueActionInput): Promise<QueueActionResult> {
    this.calls.push({ action, input });
    if (this.error) throw this.error;
    return this.result;
  }
}

export const anOperatorKey: Viewer = { id: 'key-1', role: 'operator' };

/** Executes a document against the real schema with in-memory fakes behind the whole context. */
export const executeWith = async (
  fakes: Readonly<{ queue?: QueueReadModel; commands?: MessageCommands; viewer?: Viewer; stats?: StatsReadModel; zones?: readonly ZoneSettings[] }>,
  source: string,
  variableValues?: Record<string, unknown>,
): Promise<ExecutionResult> => {
  const contextValue: Context = {
    viewer: fakes.viewer ?? anOperatorKey,
    readModels: { messages: new InMemoryMessageReadModel([]), queue: fakes.queue ?? new InMemoryQueueReadModel(), stats: fakes.stats ?? new RecordingStatsReadModel() },
    zones: fakes.zones ?? [],
    commands: fakes.commands ?? new RecordingCommands(),
    bodies: { read: async () => null },
    submissions: new RecordingSubmissions(),
    events: new StaticEventFeed(),
    eventLog: new InMemoryEventLog(),
    apiKeys: new InMemoryApiKeys(),
    projections: new RecordingProjections(),
  };
  return graphql({ schema: buildSchema(), source, variableValues, contextValue });
};
