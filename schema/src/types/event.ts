import type { FieldMap, ObjectFieldBuilder } from '@pothos/core';
import { asMessageId, messageStream, type AnyDomainEvent } from '@elemta/domain';
import type { MessageEventView } from '@elemta/projections';
import { builder, type BuilderTypes } from '../builder.js';
import type { EventRecord } from '../event-log.js';

/** An event constructor of the domain catalogue (`messageAccepted`, …): it names its type and current version. */
export type EventDefinition = ((data: never) => AnyDomainEvent) & Readonly<{ type: string; schemaVersion: number }>;

/** An event whose `data` has the shape of its definition's current schema version. */
export type TypedEvent<D extends EventDefinition> = EventRecord & Readonly<{ data: ReturnType<D>['data'] }>;

/** The GraphQL object of each event type with typed fields, and the version those fields describe. */
const typedObjects = new Map<string, Readonly<{ name: string; schemaVersion: number }>>();

/** The typed object for an event, or `GenericEvent` for a type this schema does not know or a version it cannot read. */
export const eventObjectName = (event: Pick<EventRecord, 'type' | 'schemaVersion'>): string => {
  const typed = typedObjects.get(event.type);
  return typed && typed.schemaVersion === event.schemaVersion ? typed.name : 'GenericEvent';
};

/** The event types that have a typed object, with its GraphQL name. */
export const typedEventObjects = (): ReadonlyMap<string, string> =>
  new Map([...typedObjects].map(([type, { name }]) => [type, name]));

export const Event = builder.interfaceRef<EventRecord>('Event').implement({
  description:
    'A recorded fact from the append-only event log. Every event type has its own object (e.g. `MessageAcceptedEvent`) with its data as typed fields; '
    + 'a type this server does not know is a `GenericEvent`. `data` and `metadata` are always there, as recorded.',
  resolveType: (event) => eventObjectName(event),
  fields: (t) => ({
    position: t.exposeString('position', { description: 'Opaque position in the global log; orders events across all streams. Pass it as `fromPosition` or `after` to `events`.' }),
    stream: t.exposeString('stream', { description: 'The stream the event belongs to, `<category>-<id>`: `message-<id>`, `session-<id>` or `admin-<area>`.' }),
    version: t.exposeInt('version', { description: '1-based number of this event within its stream.' }),
    type: t.exposeString('type', { description: 'The event type, a past-tense fact such as `MessageAccepted` or `RecipientDelivered`.' }),
    schemaVersion: t.exposeInt('schemaVersion', { description: 'Version of the shape of `data` for this event type.' }),
    recordedAt: t.field({ type: 'DateTime', description: 'When the event store recorded the event.', resolve: (e) => e.recordedAt }),
    actor: t.string({ description: 'Who caused the event: `smtp:<ip>`, `api-key:<id>`, `system:<role>@<node>`.', resolve: (e) => e.metadata.actor }),
    correlationId: t.string({ description: 'The flow the event belongs to: the message id for message flows, the session id for session-only flows.', resolve: (e) => e.metadata.correlationId }),
    causationId: t.string({ nullable: true, description: 'The event or command that caused this one, when there is one (e.g. the SMTP session of an accepted message).', resolve: (e) => e.metadata.causationId }),
    node: t.string({ description: 'The Elemta node that appended the event.', resolve: (e) => e.metadata.node }),
    hash: t.string({ description: "SHA-256 over the event's type, data and `prevHash`: the hash chain `elemta verify` checks.", resolve: (e) => e.metadata.hash }),
    prevHash: t.string({ description: "The previous event's `hash` in the same stream (64 zeros for the first).", resolve: (e) => e.metadata.prevHash }),
    data: t.field({ type: 'JSON', description: 'The event payload as recorded, described by `type` and `schemaVersion`.', resolve: (e) => e.data }),
    metadata: t.field({
      type: 'JSON',
      description: 'Who and what caused the event, as recorded: actor, correlationId, causationId, node, the hash chain (prevHash, hash) and the store\'s own keys.',
      resolve: (e) => e.metadata,
    }),
  }),
});

builder.objectRef<EventRecord>('GenericEvent').implement({
  description: 'An event of a type (or schema version) this server has no typed object for, e.g. written by a newer node. Read `data` and `metadata`.',
  interfaces: [Event],
  fields: () => ({}),
});

/**
 * Defines `<Type>Event` for one event type of the catalogue: the `Event` fields plus `fields`, which read `data`.
 * Events of another schema version resolve to `GenericEvent`, so a typed field never meets data it does not describe.
 */
export const eventObject = <D extends EventDefinition>(
  definition: D,
  description: string,
  fields: (t: ObjectFieldBuilder<BuilderTypes, TypedEvent<D>>) => FieldMap,
) => {
  const name = `${definition.type}Event`;
  typedObjects.set(definition.type, { name, schemaVersion: definition.schemaVersion });
  return builder.objectRef<TypedEvent<D>>(name).implement({ description, interfaces: [Event], fields });
};

/** A row of the message timeline (the `message_events` view) as an event of the log. */
export const fromTimeline = (row: MessageEventView): EventRecord => ({
  position: row.position,
  stream: messageStream(asMessageId(row.messageId)),
  version: row.version,
  type: row.type,
  schemaVersion: row.schemaVersion,
  recordedAt: row.recordedAt,
  data: row.data,
  metadata: row.metadata,
});
