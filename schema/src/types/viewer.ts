import type { Role as RoleValue, Viewer as ViewerValue } from '../builder.js';
import { builder } from '../builder.js';
import { enumValues } from '../enum-values.js';

const roleDescriptions: Record<RoleValue, string> = {
  admin: 'Full access, including users, API keys and configuration.',
  operator: 'Runs the queue: reads messages and holds, releases, retries or cancels them.',
  auditor: 'Reads messages and event streams; changes nothing.',
  integrator: 'An application submitting and tracking its own mail through the API.',
};

export const Role = builder.enumType('Role', {
  description: 'What a caller may do.',
  values: enumValues<RoleValue>(roleDescriptions),
});

export const Viewer = builder.objectRef<ViewerValue>('Viewer').implement({
  description: 'The authenticated caller.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The user or API key id.' }),
    role: t.expose('role', { type: Role, description: 'The role that decides what this caller may do.' }),
  }),
});

builder.queryField('viewer', (t) =>
  t.field({ type: Viewer, description: 'Who is asking.', resolve: (_root, _args, ctx) => ctx.viewer }),
);
