import { describe, expect, it } from 'vitest';
import { authAttempted, policyEvaluated, recipientRejected, sessionEnded, sessionStarted } from '@elemta/domain';
import type { Viewer } from '../builder.js';
import { execute } from '../testing/fixtures.js';
import { aRecord, InMemoryEventLog } from '../testing/in-memory-event-log.js';
import { InMemoryMessageReadModel } from '../testing/in-memory-message-read-model.js';

const sessionId = '0190f3c1-0000-7000-8000-000000000001';
const stream = `session-${sessionId}`;
const reply = { code: 550, enhancedCode: '5.1.1', text: 'No such user', command: 'RCPT TO' };

const log = () => new InMemoryEventLog([
  sessionStarted({
    sessionId, listener: 'mx', client: { address: '192.0.2.10', port: 40123, reverseDns: 'mail.example.org', helo: null },
    localAddress: '127.0.0.1', localPort: 2525, tls: null, startedAt: '2026-11-20T09:30:00.000Z',
  }),
  authAttempted({ sessionId, mechanism: 'PLAIN', user: 'alice', outcome: 'success', at: '2026-11-20T09:30:01.000Z' }),
  policyEvaluated({ sessionId, messageId: null, stage: 'rcpt', plugin: 'access-lists', verdict: 'reject', reply, reason: 'not ours', at: '2026-11-20T09:30:02.000Z' }),
  recipientRejected({ sessionId, address: 'nobody@example.net', reply, reason: 'not ours', at: '2026-11-20T09:30:02.000Z' }),
  sessionEnded({
    sessionId, listener: 'mx', endedAt: '2026-11-20T09:30:05.000Z', reason: 'quit', helo: 'mail.example.org', tls: null,
    counts: { messagesAccepted: 1, messagesRejected: 0, recipientsRejected: 1 },
  }),
].map((event, i) => aRecord({ ...event, stream, version: i + 1, position: `1/${i + 1}` })));

const SESSION = `query ($id: ID!) { session(id: $id) {
  __typename
  ... on Session { id listener client { address port reverseDns helo } localPort tls { protocol } startedAt endedAt endReason
    authAttempts { mechanism user outcome } policyVerdicts { stage plugin verdict reason reply { code } }
    rejections { command address reason reply { code enhancedCode } } counts { messagesAccepted recipientsRejected }
    events { version type } }
  ... on Error { code }
} }`;

const run = (id: string, viewer?: Viewer) => execute(new InMemoryMessageReadModel([]), SESSION, { id }, viewer, log());

describe('Query.session', () => {
  it('folds the session stream: client, auth attempts, verdicts, rejections, counts and the raw events', async () => {
    const result = await run(sessionId);
    expect(result.errors).toBeUndefined();
    expect(result.data?.session).toEqual({
      __typename: 'Session', id: sessionId, listener: 'mx',
      client: { address: '192.0.2.10', port: 40123, reverseDns: 'mail.example.org', helo: 'mail.example.org' },
      localPort: 2525, tls: null, startedAt: '2026-11-20T09:30:00.000Z', endedAt: '2026-11-20T09:30:05.000Z', endReason: 'QUIT',
      authAttempts: [{ mechanism: 'PLAIN', user: 'alice', outcome: 'SUCCESS' }],
      policyVerdicts: [{ stage: 'RCPT', plugin: 'access-lists', verdict: 'REJECT', reason: 'not ours', reply: { code: 550 } }],
      rejections: [{ command: 'RCPT TO', address: 'nobody@example.net', reason: 'not ours', reply: { code: 550, enhancedCode: '5.1.1' } }],
      counts: { messagesAccepted: 1, recipientsRejected: 1 },
      events: ['SessionStarted', 'AuthAttempted', 'PolicyEvaluated', 'RecipientRejected', 'SessionEnded'].map((type, i) => ({ version: i + 1, type })),
    });
  });

  it('finds the session whatever the case of its id', async () => {
    expect((await run(sessionId.toUpperCase())).data?.session).toMatchObject({ id: sessionId });
  });

  it('is null for a session with no stream and for an id that is not a session id', async () => {
    expect((await run('0190f3c1-0000-7000-8000-0000000000ff')).data).toEqual({ session: null });
    expect((await run('nope')).data).toEqual({ session: null });
  });

  it.each(['admin', 'auditor', 'operator'] as const)('is readable by %s keys', async (role) => {
    expect((await run(sessionId, { id: 'k', role })).data?.session).toMatchObject({ __typename: 'Session' });
  });

  it('is forbidden to integrator keys, as a typed error', async () => {
    expect((await run(sessionId, { id: 'app1', role: 'integrator' })).data?.session).toEqual({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
  });
});
