import {
  apiKeyCreated, apiKeyRevoked, projectionReplayed, projectionReplayRequested, smtpUserAdded, smtpUserPasswordChanged, smtpUserRemoved,
} from '@elemta/domain';
import { eventObject } from './event.js';
import { Role } from './viewer.js';

eventObject(apiKeyCreated, 'An API key was created (in `admin-apiKeys`). The key and its hash are never recorded.', (t) => ({
  keyId: t.id({ description: 'The key id (the `<id>` of `api-key:<id>`).', resolve: (e) => e.data.keyId }),
  name: t.string({ description: 'The name given to the key.', resolve: (e) => e.data.name }),
  role: t.field({ type: Role, description: 'The role of the key.', resolve: (e) => e.data.role }),
  at: t.field({ type: 'DateTime', description: 'When.', resolve: (e) => e.data.at }),
}));

eventObject(apiKeyRevoked, 'An API key was revoked: it stops working at once.', (t) => ({
  keyId: t.id({ description: 'The key id.', resolve: (e) => e.data.keyId }),
  reason: t.string({ description: 'Why, as given.', resolve: (e) => e.data.reason }),
  at: t.field({ type: 'DateTime', description: 'When.', resolve: (e) => e.data.at }),
}));

type SmtpUserChange = typeof smtpUserAdded | typeof smtpUserRemoved | typeof smtpUserPasswordChanged;

// `data.actor` repeats the metadata's, which is the Event's `actor` field.
const smtpUserChange = <D extends SmtpUserChange>(definition: D, description: string) =>
  eventObject(definition, description, (t) => ({
    username: t.string({ description: 'The SMTP AUTH user name.', resolve: (e) => e.data.username }),
    at: t.field({ type: 'DateTime', description: 'When.', resolve: (e) => e.data.at }),
  }));

smtpUserChange(smtpUserAdded, 'An SMTP AUTH user was added (in `admin-smtpUsers`). Passwords and their hashes are never recorded.');
smtpUserChange(smtpUserRemoved, 'An SMTP AUTH user was removed.');
smtpUserChange(smtpUserPasswordChanged, "An SMTP AUTH user's password was changed.");

eventObject(projectionReplayRequested, 'A rebuild of a projection from event zero was started on a running node (in `admin-projections`).', (t) => ({
  projection: t.string({ description: 'The projection, e.g. `views`.', resolve: (e) => e.data.projection }),
  at: t.field({ type: 'DateTime', description: 'When.', resolve: (e) => e.data.at }),
}));

eventObject(projectionReplayed, 'A rebuild of a projection caught up with the log.', (t) => ({
  projection: t.string({ description: 'The projection.', resolve: (e) => e.data.projection }),
  events: t.int({ description: 'Events the rebuild applied itself (a runner elsewhere may have applied others).', resolve: (e) => e.data.events }),
  at: t.field({ type: 'DateTime', description: 'When.', resolve: (e) => e.data.at }),
}));
