import type { ApiKeyInfo } from '../admin-ports.js';
import { builder } from '../builder.js';
import type { Role as RoleValue } from '../builder.js';
import { ForbiddenError, InvalidInputError } from './queue-actions.js';
import { ADMIN_ONLY, requireRole } from './roles.js';
import { Role } from './viewer.js';

export const MAX_KEY_NAME_LENGTH = 100;
export const MAX_REVOKE_REASON_LENGTH = 500;

export const ApiKey = builder.objectRef<ApiKeyInfo>('ApiKey').implement({
  description: 'An API key, as administrators see it. The key itself is shown once, when it is created; only its hash is stored.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The key id: the part after `elemta_` in the key, and `<id>` in the actor `api-key:<id>`.' }),
    name: t.exposeString('name', { description: 'What the key is for, as given when it was created.' }),
    role: t.expose('role', { type: Role, description: 'What the key may do.' }),
    createdAt: t.field({ type: 'DateTime', description: 'When the key was created.', resolve: (k) => k.createdAt }),
    lastUsedAt: t.field({
      type: 'DateTime', nullable: true, description: 'When the key was last used (to the minute); null if never.', resolve: (k) => k.lastUsedAt,
    }),
    revokedAt: t.field({
      type: 'DateTime', nullable: true, description: 'When the key was revoked; null while it works.', resolve: (k) => k.revokedAt,
    }),
  }),
});

const ApiKeyList = builder.objectRef<{ keys: readonly ApiKeyInfo[] }>('ApiKeyList').implement({
  description: 'Every API key, revoked ones included.',
  fields: (t) => ({ keys: t.field({ type: [ApiKey], description: 'The keys, oldest first.', resolve: (l) => l.keys }) }),
});

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  description: 'A new API key.',
  fields: (t) => ({
    name: t.string({ required: true, description: `What the key is for (1 to ${MAX_KEY_NAME_LENGTH} characters), e.g. \`billing app\`.` }),
    role: t.field({ type: Role, required: true, description: 'What the key may do.' }),
  }),
});

const CreateApiKeyPayload = builder.objectRef<{ key: string; apiKey: ApiKeyInfo }>('CreateApiKeyPayload').implement({
  description: 'A created API key.',
  fields: (t) => ({
    key: t.exposeString('key', {
      description: 'The key, to send as `Authorization: Bearer <key>`. Shown only here, once: Elemta keeps only its hash.',
    }),
    apiKey: t.field({ type: ApiKey, description: 'The new key.', resolve: (p) => p.apiKey }),
  }),
});

const RevokeApiKeyPayload = builder.objectRef<{ apiKey: ApiKeyInfo }>('RevokeApiKeyPayload').implement({
  description: 'A revoked API key: requests with it are refused from now on.',
  fields: (t) => ({ apiKey: t.field({ type: ApiKey, description: 'The revoked key.', resolve: (p) => p.apiKey }) }),
});

/** The trimmed text, or an `InvalidInputError` naming `field`. */
const text = (value: string | null | undefined, field: string, max: number, required: boolean): string => {
  const trimmed = (value ?? '').trim();
  if (required && trimmed === '') throw new InvalidInputError(`${field.toUpperCase()}_EMPTY`, `${field} is blank`, field);
  if (trimmed.length > max) throw new InvalidInputError(`${field.toUpperCase()}_TOO_LONG`, `${field} is longer than ${max} characters`, field);
  if (/\p{Cc}/u.test(trimmed)) throw new InvalidInputError(`${field.toUpperCase()}_INVALID`, `${field} contains control characters`, field);
  return trimmed;
};

builder.queryField('apiKeys', (t) =>
  t.field({
    type: ApiKeyList,
    description: 'Every API key, revoked ones included (admin only).',
    errors: { types: [ForbiddenError], union: { description: 'The result of `apiKeys`: the keys, or why the caller may not list them.' } },
    resolve: async (_root, _args, ctx) => {
      requireRole(ctx.viewer, ADMIN_ONLY, 'list API keys');
      return { keys: await ctx.apiKeys.list() };
    },
  }),
);

builder.mutationField('createApiKey', (t) =>
  t.field({
    type: CreateApiKeyPayload,
    description: 'Creates an API key (admin only) and returns it once. Recorded as `ApiKeyCreated` with the caller as actor.',
    errors: { types: [InvalidInputError, ForbiddenError], union: { description: 'The result of `createApiKey`: the new key, or why none was made.' } },
    args: { input: t.arg({ type: CreateApiKeyInput, required: true, description: 'Name and role of the key.' }) },
    resolve: (_root, { input }, ctx) => {
      requireRole(ctx.viewer, ADMIN_ONLY, 'create API keys');
      const name = text(input.name, 'name', MAX_KEY_NAME_LENGTH, true);
      return ctx.apiKeys.create({ name, role: input.role as RoleValue, actor: `api-key:${ctx.viewer.id}` });
    },
  }),
);

builder.mutationField('revokeApiKey', (t) =>
  t.field({
    type: RevokeApiKeyPayload,
    description: 'Revokes an API key at once (admin only): the next request with it gets 401. Revoking a revoked key changes nothing. '
      + 'The last working admin key cannot be revoked (`LAST_ADMIN_KEY`). Recorded as `ApiKeyRevoked` with the caller as actor.',
    errors: { types: [InvalidInputError, ForbiddenError], union: { description: 'The result of `revokeApiKey`: the revoked key, or why nothing changed.' } },
    args: {
      id: t.arg.id({ required: true, description: 'The key id (`ApiKey.id`).' }),
      reason: t.arg.string({ description: `Why, recorded in the event (at most ${MAX_REVOKE_REASON_LENGTH} characters).` }),
    },
    resolve: async (_root, { id, reason }, ctx) => {
      requireRole(ctx.viewer, ADMIN_ONLY, 'revoke API keys');
      const why = text(reason, 'reason', MAX_REVOKE_REASON_LENGTH, false);
      return { apiKey: await ctx.apiKeys.revoke({ id: String(id).trim(), reason: why, actor: `api-key:${ctx.viewer.id}` }) };
    },
  }),
);
