import { describe, expect, it } from 'vitest';
import { DomainError } from '@elemta/domain';
import { executeWith, RecordingCommands } from '../testing/queue-fakes.js';

const id1 = '0190f3c2-0000-7000-8000-000000000001';
const id2 = '0190f3c2-0000-7000-8000-000000000002';

const mutation = (field: string) => `mutation ($input: QueueActionInput!) {
  ${field}(input: $input) {
    __typename
    ... on QueueActionPayload { matched changed unchanged failures { messageId code message } }
    ... on Error { code message }
    ... on InvalidInputError { field }
  }
}`;

const run = async (field: string, input: Record<string, unknown>, commands = new RecordingCommands(), role: 'operator' | 'auditor' = 'operator') => {
  const result = await executeWith({ commands, viewer: { id: 'key-7', role } }, mutation(field), { input });
  expect(result.errors).toBeUndefined();
  return { commands, payload: (result.data as Record<string, Record<string, unknown>>)[field]! };
};

describe('queue action mutations', () => {
  it.each([
    ['holdMessages', 'hold'], ['releaseMessages', 'release'], ['cancelMessages', 'cancel'], ['retryMessages', 'retry'],
  ])('%s runs the %s command with the ids, the api-key actor and the reason', async (field, action) => {
    const commands = new RecordingCommands();
    commands.result = { matched: 2, changed: 1, unchanged: 0, failures: [{ messageId: id2, code: 'MESSAGE_NOT_HELD', message: 'not held' }] };
    const { payload } = await run(field, { messageIds: [id1, id2.toUpperCase(), id1], reason: '  spam run  ' }, commands);
    expect(commands.calls).toEqual([{ action, input: { messageIds: [id1, id2], actor: 'api-key:key-7', reason: 'spam run' } }]);
    expect(payload).toEqual({
      __typename: 'QueueActionPayload', matched: 2, changed: 1, unchanged: 0,
      failures: [{ messageId: id2, code: 'MESSAGE_NOT_HELD', message: 'not held' }],
    });
  });

  it('selects by filter, dropping nulls and an empty status list, with an empty reason when none is given', async () => {
    const { commands } = await run('holdMessages', { filter: { domain: 'example.net', sender: null, zone: 'bulk', status: ['DEFERRED'] } });
    await run('holdMessages', { filter: { sender: '', status: [] } }, commands);
    expect(commands.calls.map((c) => c.input)).toEqual([
      { filter: { domain: 'example.net', zone: 'bulk', status: ['deferred'] }, actor: 'api-key:key-7', reason: '' },
      { filter: { sender: '' }, actor: 'api-key:key-7', reason: '' },
    ]);
  });

  it.each([
    ['both ids and a filter', { messageIds: [id1], filter: { domain: 'example.net' } }, 'BAD_SELECTION', 'filter'],
    ['neither ids nor a filter', { reason: 'x' }, 'BAD_SELECTION', 'messageIds'],
    ['an empty id list', { messageIds: [] }, 'BAD_SELECTION', 'messageIds'],
    ['more than 1000 ids', { messageIds: Array.from({ length: 1001 }, () => id1) }, 'TOO_MANY_IDS', 'messageIds'],
    ['an id that is not a message id', { messageIds: [id1, 'message-1'] }, 'INVALID_MESSAGE_ID', 'messageIds'],
    ['an empty filter', { filter: { sender: null, status: [] } }, 'EMPTY_FILTER', 'filter'],
    ['a blank reason', { messageIds: [id1], reason: '   ' }, 'REASON_EMPTY', 'reason'],
    ['a reason over 500 characters', { messageIds: [id1], reason: 'x'.repeat(501) }, 'REASON_TOO_LONG', 'reason'],
  ])('refuses %s as InvalidInputError without running a command', async (_what, input, code, field) => {
    const { commands, payload } = await run('cancelMessages', input);
    expect(payload).toMatchObject({ __typename: 'InvalidInputError', code, field });
    expect(typeof payload['message']).toBe('string');
    expect(commands.calls).toEqual([]);
  });

  it('accepts exactly 1000 ids and a 500-character reason', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `0190f3c2-0000-7000-8000-${String(i).padStart(12, '0')}`);
    const { commands, payload } = await run('retryMessages', { messageIds: ids, reason: 'y'.repeat(500) });
    expect(payload['__typename']).toBe('QueueActionPayload');
    expect(commands.calls[0]?.input.messageIds).toHaveLength(1000);
  });

  it('refuses a role that may not change the queue as ForbiddenError', async () => {
    const { commands, payload } = await run('holdMessages', { messageIds: [id1] }, new RecordingCommands(), 'auditor');
    expect(payload).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    expect(commands.calls).toEqual([]);
  });

  it("returns a command's DomainError as a typed result", async () => {
    const commands = new RecordingCommands();
    commands.error = new DomainError('BAD_SELECTION', 'give exactly one of messageIds and filter');
    const { payload } = await run('releaseMessages', { messageIds: [id1] }, commands);
    expect(payload).toEqual({ __typename: 'DomainError', code: 'BAD_SELECTION', message: 'give exactly one of messageIds and filter' });
  });

  it('leaves other failures as (masked) GraphQL errors', async () => {
    const commands = new RecordingCommands();
    commands.error = new Error('event store unavailable');
    const result = await executeWith({ commands }, mutation('holdMessages'), { input: { messageIds: [id1] } });
    expect(result.data).toBeNull();
    expect(result.errors?.[0]?.message).toBe('event store unavailable');
  });

  it('rejects a wrongly typed input during validation, before any command', async () => {
    const commands = new RecordingCommands();
    const result = await executeWith({ commands }, mutation('holdMessages'), { input: { messageIds: 'not-a-list', reason: 3 } });
    expect(result.errors?.[0]?.message).toMatch(/^Variable "\$input" got invalid value/);
    expect(commands.calls).toEqual([]);
  });
});
