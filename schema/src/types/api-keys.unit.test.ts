import { graphql } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { Context, Role, Viewer } from '../builder.js';
import { buildSchema } from '../index.js';
import { InMemoryApiKeys, RecordingProjections } from '../testing/admin-fakes.js';

const run = async (source: string, role: Role, fakes = { apiKeys: new InMemoryApiKeys(), projections: new RecordingProjections() }) => {
  const viewer: Viewer = { id: 'k9', role };
  const contextValue: Partial<Context> = { viewer, ...fakes };
  const result = await graphql({ schema: buildSchema(), source, contextValue });
  expect(result.errors).toBeUndefined();
  return { data: result.data as Record<string, Record<string, unknown>>, ...fakes };
};

const CREATE = `mutation { createApiKey(input: { name: "  billing app ", role: INTEGRATOR }) {
  __typename ... on CreateApiKeyPayload { key apiKey { id name role revokedAt } } ... on Error { code message } ... on InvalidInputError { field } } }`;
const revoke = (id: string) => `mutation { revokeApiKey(id: "${id}", reason: "leaked") {
  __typename ... on RevokeApiKeyPayload { apiKey { id revokedAt } } ... on Error { code message } } }`;
const LIST = '{ apiKeys { __typename ... on ApiKeyList { keys { id role } } ... on Error { code } } }';
const REPLAY = (name: string) => `mutation { replayProjection(name: "${name}") {
  __typename ... on ReplayProjectionPayload { projection events } ... on Error { code message } } }`;

describe('API keys and replays', () => {
  it('lets an admin create a key, shown once, recording the admin as actor', async () => {
    const { data, apiKeys } = await run(CREATE, 'admin');
    expect(data['createApiKey']).toMatchObject({
      __typename: 'CreateApiKeyPayload', key: expect.stringMatching(/^elemta_/), apiKey: { name: 'billing app', role: 'INTEGRATOR', revokedAt: null },
    });
    expect(apiKeys.actors).toEqual(['api-key:k9']);
    expect((await run(LIST, 'admin', { apiKeys, projections: new RecordingProjections() })).data['apiKeys']!['keys']).toHaveLength(2);
  });

  it.each(['operator', 'auditor', 'integrator'] as const)('refuses every key and replay operation to the %s role, changing nothing', async (role) => {
    const fakes = { apiKeys: new InMemoryApiKeys(), projections: new RecordingProjections() };
    for (const [source, field] of [[CREATE, 'createApiKey'], [revoke('00000000000000a1'), 'revokeApiKey'], [LIST, 'apiKeys'], [REPLAY('views'), 'replayProjection']] as const) {
      const { data } = await run(source, role, fakes);
      expect(data[field]).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    }
    expect(fakes.apiKeys.keys).toHaveLength(1);
    expect(fakes.apiKeys.actors).toEqual([]);
    expect(fakes.projections.replays).toEqual([]);
  });

  it('refuses a blank name as InvalidInputError on `name`', async () => {
    const { data } = await run(CREATE.replace('  billing app ', '   '), 'admin');
    expect(data['createApiKey']).toMatchObject({ __typename: 'InvalidInputError', code: 'NAME_EMPTY', field: 'name' });
  });

  it('revokes a key, and refuses to revoke the last admin key as a typed DomainError', async () => {
    const fakes = { apiKeys: new InMemoryApiKeys(), projections: new RecordingProjections() };
    const created = (await run(CREATE.replace('INTEGRATOR', 'ADMIN'), 'admin', fakes)).data['createApiKey']!['apiKey'] as { id: string };
    expect((await run(revoke(created.id), 'admin', fakes)).data['revokeApiKey']).toMatchObject({ apiKey: { id: created.id, revokedAt: expect.any(String) } });
    expect((await run(revoke('00000000000000a1'), 'admin', fakes)).data['revokeApiKey'])
      .toMatchObject({ __typename: 'DomainError', code: 'LAST_ADMIN_KEY' });
    expect((await run(revoke('ffffffffffffffff'), 'admin', fakes)).data['revokeApiKey'])
      .toMatchObject({ __typename: 'DomainError', code: 'API_KEY_NOT_FOUND' });
  });

  it('replays a projection for an admin, naming the admin as actor; an unknown name is a DomainError', async () => {
    const { data, projections } = await run(REPLAY('views'), 'admin');
    expect(data['replayProjection']).toEqual({ __typename: 'ReplayProjectionPayload', projection: 'views', events: 3 });
    expect(projections.replays).toEqual([{ name: 'views', actor: 'api-key:k9' }]);
    expect((await run(REPLAY('nope'), 'admin')).data['replayProjection']).toMatchObject({ __typename: 'DomainError', code: 'UNKNOWN_PROJECTION' });
  });
});
