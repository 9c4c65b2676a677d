import { graphql } from 'graphql';
import type { ExecutionResult } from 'graphql';
import type { MessageEventView, MessageView } from '@elemta/projections';
import type { Context, Viewer } from '../builder.js';
import { buildSchema } from '../index.js';
import type { EventLog } from '../event-log.js';
import { InMemoryEventLog } from './in-memory-event-log.js';
import { InMemoryApiKeys, RecordingProjections } from './admin-fakes.js';
import { InMemoryMessageReadModel } from './in-memory-message-read-model.js';
import { RecordingSubmissions, StaticEventFeed } from './live-fakes.js';
import { InMemoryQueueReadModel, RecordingCommands } from './queue-fakes.js';
import { RecordingStatsReadModel } from './stats-fakes.js';

export const aMessage = (overrides: Partial<MessageView> = {}): MessageView => ({
  id: '0190f3c2-0000-7000-8000-000000000001',
  status: 'queued',
  mailFrom: 'alice@example.org',
  recipients: [{ address: 'bob@example.net', domain: 'example.net', status: 'queued', route: 'relay', zone: null }],
  subject: 'Hello',
  fromHeader: 'Alice <alice@example.org>',
  messageIdHeader: '<abc@example.org>',
  sizeBytes: 1024,
  bodySha256: 'a'.repeat(64),
  receivedAt: '2026-11-20T09:30:00.000Z',
  updatedAt: '2026-11-20T09:30:01.000Z',
  listener: 'submission',
  clientAddress: '192.0.2.10',
  authUser: 'alice',
  sessionId: '0190f3c1-0000-7000-8000-000000000001',
  submittedBy: 'smtp:192.0.2.10',
  ...overrides,
});

export const anEvent = (overrides: Partial<MessageEventView> = {}): MessageEventView => ({
  messageId: '0190f3c2-0000-7000-8000-000000000001',
  version: 1,
  position: '100',
  type: 'MessageAccepted',
  schemaVersion: 2,
  recordedAt: '2026-11-20T09:30:00.000Z',
  data: { sizeBytes: 1024, envelope: { mailFrom: 'alice@example.org', rcptTo: ['bob@example.net'] } },
  metadata: { actor: 'smtp:192.0.2.10', correlationId: 'c-1', causationId: null, node: 'n1', prevHash: '0', hash: 'h1' },
  ...overrides,
});

export const anOperator: Viewer = { id: 'user-1', role: 'operator' };

/** Executes a document against the real schema with an in-memory read model behind the context. */
export const execute = async (
  messages: InMemoryMessageReadModel,
  source: string,
  variableValues?: Record<string, unknown>,
  viewer: Viewer = anOperator,
  eventLog: EventLog = new InMemoryEventLog(),
): Promise<ExecutionResult> => {
  const contextValue: Context = { viewer, readModels: { messages, queue: new InMemoryQueueReadModel(), stats: new RecordingStatsReadModel() }, zones: [], commands: new RecordingCommands(), bodies: { read: async (sha) => (sha === aMessage().bodySha256 ? 'Subject: hi\r\n\r\nbody\r\n' : null) }, submissions: new RecordingSubmissions(), events: new StaticEventFeed(), eventLog, apiKeys: new InMemoryApiKeys(), projections: new RecordingProjections() };
  return graphql({ schema: buildSchema(), source, variableValues, contextValue });
};
