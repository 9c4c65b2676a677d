import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import { DomainError } from '@elemta/domain';
import type { MessageReadModel, QueueFilter, QueueReadModel, StatsReadModel } from '@elemta/projections';
import type { EventLog } from './event-log.js';
import type { EventFeed } from './event-feed.js';
import type { MessageSubmissions } from './submissions.js';
import type { ApiKeyAdmin, ProjectionAdmin } from './admin-ports.js';

export type Role = 'admin' | 'operator' | 'auditor' | 'integrator';

/** The authenticated caller (an operator's session or an integrator's API key). */
export type Viewer = Readonly<{ id: string; role: Role }>;

/** The queue filter a bulk action may select by. */
export type QueueActionFilter = Readonly<Pick<QueueFilter, 'sender' | 'domain' | 'zone' | 'status'>>;

/** What a queue action applies to: exactly one of `messageIds` and `filter`. */
export type QueueActionInput = Readonly<{
  messageIds?: readonly string[];
  filter?: QueueActionFilter;
  /** Recorded on each event: `api-key:<id>`. */
  actor: string;
  reason: string;
}>;

export type QueueActionFailure = Readonly<{ messageId: string; code: string; message: string }>;

/** `matched` = `changed` + `unchanged` + `failures.length`. */
export type QueueActionResult = Readonly<{
  matched: number;
  changed: number;
  unchanged: number;
  failures: readonly QueueActionFailure[];
}>;

/**
 * Administrative commands on queued messages, implemented by apps/mta over the event store. Each selected
 * message is decided on its own: a refusal (a `DomainError`) becomes one of `failures` and the others go on.
 * A selection that is not exactly one of ids and filter throws `DomainError('BAD_SELECTION')`.
 */
export interface MessageCommands {
  hold(input: QueueActionInput): Promise<QueueActionResult>;
  release(input: QueueActionInput): Promise<QueueActionResult>;
  cancel(input: QueueActionInput): Promise<QueueActionResult>;
  retry(input: QueueActionInput): Promise<QueueActionResult>;
}

/** Stored message bodies, addressed by their sha256 (the blob store's ref). */
export interface MessageBodies {
  /** The stored bytes as text (UTF-8, as received), or null when the body is not stored on this node. */
  read(bodySha256: string): Promise<string | null>;
}

/** Built per request by apps/mta. Resolvers reach the outside world only through it. */
/** A rate limit: at most `count` messages per `windowSeconds`. */
export type Rate = Readonly<{ count: number; windowSeconds: number }>;

/** A sending zone as configured (`delivery.zones.<name>`). */
export type ZoneSettings = Readonly<{
  name: string;
  bindAddresses: readonly string[];
  maxConnections: number;
  throttle: Rate | null;
  domainThrottle: Rate | null;
  domainThrottles: readonly Readonly<{ domain: string } & Rate>[];
}>;

export type Context = Readonly<{
  viewer: Viewer;
  readModels: Readonly<{ messages: MessageReadModel; queue: QueueReadModel; stats: StatsReadModel }>;
  /** The configured sending zones (`delivery.zones`), as plain data. */
  zones: readonly ZoneSettings[];
  commands: MessageCommands;
  bodies: MessageBodies;
  /** The event log itself, for `events` and `session` (read models answer everything else). */
  eventLog: EventLog;
  /** Message submission (sendMessage): the same checks, policy and events as SMTP. */
  submissions: MessageSubmissions;
  /** Live events for subscriptions, bound to this request: streams end when the client goes away. */
  events: EventFeed;
  /** API keys (admin only; the schema checks the role). */
  apiKeys: ApiKeyAdmin;
  /** Online rebuilds of the views (admin only; the schema checks the role). */
  projections: ProjectionAdmin;
}>;

/** Scalars are ISO-8601 strings on both sides (see types/scalars.ts); JSON is any JSON value. */
type Scalars = {
  DateTime: { Input: string; Output: string | Date };
  JSON: { Input: unknown; Output: unknown };
};

const rootTypes = new Set(['Query', 'Mutation', 'Subscription']);
const capitalize = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);
// `cancelMessage` gets `CancelMessageResult`, not `MutationCancelMessageResult`: shorter for clients.
const resultName = (suffix: string) => ({ parentTypeName, fieldName }: { parentTypeName: string; fieldName: string }) =>
  `${rootTypes.has(parentTypeName) ? '' : parentTypeName}${capitalize(fieldName)}${suffix}`;

export type ElemtaSchemaTypes = {
  Context: Context;
  Scalars: Scalars;
  // Most values always exist; nullable fields say so explicitly, so the schema tells clients the truth.
  DefaultFieldNullability: false;
};

/** Pothos' view of our schema types, for typing refs passed between types files. */
export type BuilderTypes = PothosSchemaTypes.ExtendDefaultTypes<ElemtaSchemaTypes>;

export const builder = new SchemaBuilder<ElemtaSchemaTypes>({
  plugins: [ErrorsPlugin],
  defaultFieldNullability: false,
  errors: {
    // A DomainError thrown by a command becomes a typed `DomainError` result (types/errors.ts).
    defaultTypes: [DomainError],
    // Mutations return payload objects, so the union holds the payload itself rather than a wrapper.
    directResult: true,
    defaultUnionOptions: { name: resultName('Result') },
    defaultResultOptions: { name: resultName('Success') },
  },
});
