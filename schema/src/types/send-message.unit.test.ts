import { graphql } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { Context, Viewer } from '../builder.js';
import { buildSchema } from '../index.js';
import { RecordingSubmissions } from '../testing/live-fakes.js';
import type { SubmissionResult } from '../submissions.js';

const SEND = `mutation ($input: SendMessageInput!) { sendMessage(input: $input) {
  __typename
  ... on SendMessagePayload { messageId mailFrom recipients }
  ... on Error { code message }
  ... on InvalidInputError { field }
  ... on PolicyRejectedError { replyCode enhancedCode text plugin stage } } }`;

const integrator: Viewer = { id: 'k1', role: 'integrator' };

const send = async (input: Record<string, unknown>, viewer: Viewer = integrator, result?: SubmissionResult) => {
  const submissions = new RecordingSubmissions(result);
  const contextValue: Partial<Context> = { viewer, submissions };
  const { data, errors } = await graphql({ schema: buildSchema(), source: SEND, variableValues: { input }, contextValue });
  expect(errors).toBeUndefined();
  return { payload: (data as { sendMessage: Record<string, unknown> }).sendMessage, calls: submissions.calls };
};

describe('sendMessage', () => {
  it('passes raw content, the envelope and the key on, and returns the accepted message', async () => {
    const { payload, calls } = await send({ envelope: { from: 'app@example.org', to: ['bob@example.net'] }, raw: 'Subject: x\r\n\r\nhi\r\n' });
    expect(payload).toEqual({
      __typename: 'SendMessagePayload', messageId: '0190f3c2-0000-7000-8000-0000000000aa', mailFrom: 'app@example.org', recipients: ['bob@example.net'],
    });
    expect(calls).toEqual([{
      envelope: { from: 'app@example.org', to: ['bob@example.net'] }, content: { kind: 'raw', raw: 'Subject: x\r\n\r\nhi\r\n' }, keyId: 'k1',
    }]);
  });

  it('fills in the omitted message fields', async () => {
    const { calls } = await send({ message: { from: 'App <app@example.org>', to: ['bob@example.net'], subject: 'Hi' } });
    expect(calls[0]).toEqual({
      envelope: null, keyId: 'k1',
      content: { kind: 'fields', fields: {
        from: 'App <app@example.org>', to: ['bob@example.net'], cc: [], bcc: [], subject: 'Hi', text: null, html: null, headers: [], messageId: null,
      } },
    });
  });

  it.each([
    ['neither raw nor message', {}, 'raw'],
    ['both raw and message', { raw: 'x', message: { from: 'a@b.c' } }, 'message'],
  ])('refuses %s as BAD_CONTENT', async (_name, input, field) => {
    const { payload, calls } = await send(input);
    expect(payload).toMatchObject({ __typename: 'InvalidInputError', code: 'BAD_CONTENT', field });
    expect(calls).toEqual([]);
  });

  it.each(['operator', 'auditor'] as const)('refuses the %s role', async (role) => {
    const { payload, calls } = await send({ raw: 'x' }, { id: 'k2', role });
    expect(payload).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    expect(calls).toEqual([]);
  });

  it('lets an admin send', async () => {
    expect((await send({ raw: 'x' }, { id: 'k0', role: 'admin' })).payload).toMatchObject({ __typename: 'SendMessagePayload' });
  });

  it('returns the refusals of the submission service as typed errors', async () => {
    const invalid = await send({ raw: 'x' }, integrator, { kind: 'invalid', code: 'INVALID_ADDRESS', field: 'envelope.to', message: 'bad' });
    expect(invalid.payload).toEqual({ __typename: 'InvalidInputError', code: 'INVALID_ADDRESS', message: 'bad', field: 'envelope.to' });
    const rejected = await send({ raw: 'x' }, integrator, {
      kind: 'policy', verdict: 'reject', stage: 'data', plugin: 'header-checks', reply: { code: 550, enhancedCode: '5.7.1', text: 'Looks like spam' },
    });
    expect(rejected.payload).toEqual({
      __typename: 'PolicyRejectedError', code: 'POLICY_REJECTED', message: 'refused by policy: 550 5.7.1 Looks like spam',
      replyCode: 550, enhancedCode: '5.7.1', text: 'Looks like spam', plugin: 'header-checks', stage: 'data',
    });
    const deferred = await send({ raw: 'x' }, integrator, {
      kind: 'policy', verdict: 'tempfail', stage: 'rcpt', plugin: 'greylist', reply: { code: 451, enhancedCode: '4.7.1', text: 'Try later' },
    });
    expect(deferred.payload).toMatchObject({ __typename: 'PolicyRejectedError', code: 'POLICY_TEMPFAIL', replyCode: 451, stage: 'rcpt' });
  });
});
