import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import { DomainError } from '@elemta/domain';
import type { MessageReadModel, QueueFilter, QueueReadModel } from '@elemta/projections';

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
export type Context = Readonly<{
  viewer: Viewer;
  readModels: Readonly<{ messages: MessageReadModel; queue: QueueReadModel }>;
  commands: MessageCommands;
  bodies: MessageBodies;
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
