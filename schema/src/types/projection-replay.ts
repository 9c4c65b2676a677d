import type { ProjectionReplay } from '../admin-ports.js';
import { builder } from '../builder.js';
import { ForbiddenError } from './queue-actions.js';
import { ADMIN_ONLY, requireRole } from './roles.js';

const ReplayProjectionPayload = builder.objectRef<ProjectionReplay>('ReplayProjectionPayload').implement({
  description: 'A finished rebuild of a projection from event zero.',
  fields: (t) => ({
    projection: t.exposeString('projection', { description: 'The projection rebuilt.' }),
    events: t.exposeInt('events', {
      description: 'Events the rebuild applied itself; the node\'s own runner may have applied others in the meantime (each exactly once).',
    }),
    startedAt: t.field({ type: 'DateTime', description: 'When the views were emptied.', resolve: (r) => r.startedAt }),
    finishedAt: t.field({ type: 'DateTime', description: 'When the views had caught up with the log again.', resolve: (r) => r.finishedAt }),
  }),
});

builder.mutationField('replayProjection', (t) =>
  t.field({
    type: ReplayProjectionPayload,
    description: 'Rebuilds a projection (e.g. `views`) from event zero while the node runs, and answers once it has caught up (admin only). '
      + 'Meanwhile its views fill up again and reads may miss rows; delivery is unaffected (workers confirm every claim against the log). '
      + 'Recorded as `ProjectionReplayRequested` and `ProjectionReplayed` with the caller as actor. For a very long log, prefer `elemta replay`.',
    errors: { types: [ForbiddenError], union: { description: 'The result of `replayProjection`: the rebuild, or why it did not run.' } },
    args: { name: t.arg.string({ required: true, description: 'The projection to rebuild.' }) },
    resolve: (_root, { name }, ctx) => {
      requireRole(ctx.viewer, ADMIN_ONLY, 'replay projections');
      return ctx.projections.replay({ name: name.trim(), actor: `api-key:${ctx.viewer.id}` });
    },
  }),
);
