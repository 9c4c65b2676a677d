import type { MessageEventView } from '@elemta/projections';
import { builder } from '../builder.js';

// One object type for now; it becomes an interface with a typed object per event type later,
// so these field names are part of the contract.
export const Event = builder.objectRef<MessageEventView>('Event').implement({
  description: "A recorded fact from a message's event stream. The log is append-only: events are never changed.",
  fields: (t) => ({
    position: t.exposeString('position', { description: 'Opaque position in the global log; orders events across all streams.' }),
    version: t.exposeInt('version', { description: "1-based number of this event within its message's stream." }),
    type: t.exposeString('type', { description: 'The event type, a past-tense fact such as `MessageAccepted` or `RecipientDelivered`.' }),
    schemaVersion: t.exposeInt('schemaVersion', { description: 'Version of the shape of `data` for this event type.' }),
    recordedAt: t.field({ type: 'DateTime', description: 'When the event store recorded the event.', resolve: (e) => e.recordedAt }),
    data: t.field({ type: 'JSON', description: 'The event payload, as described by `type` and `schemaVersion`.', resolve: (e) => e.data }),
    metadata: t.field({
      type: 'JSON',
      description: 'Who and what caused the event: actor, correlationId, causationId, node, and the hash chain (prevHash, hash).',
      resolve: (e) => e.metadata,
    }),
  }),
});
