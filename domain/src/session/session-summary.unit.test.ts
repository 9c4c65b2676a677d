import { describe, expect, it } from 'vitest';
import type { AnyDomainEvent } from '../events/common.js';
import {
  authAttempted, commandRejected, messageRejected, policyEvaluated, recipientRejected, senderRejected, sessionEnded, sessionStarted,
} from '../events/session-events.js';
import { emptySessionSummary, summarizeSession, type SessionSummary } from './session-summary.js';

const sessionId = '0190f3c1-0000-7000-8000-000000000001';
const at = (seconds: number): string => new Date(Date.parse('2026-11-20T10:00:00.000Z') + seconds * 1000).toISOString();
const reply = (code: number, enhancedCode: string, text: string, command: string) => ({ code, enhancedCode, text, command });

/** given(events).then(summary): the fold of the events, in order, from the empty summary. */
const given = (events: readonly AnyDomainEvent[]) => ({
  then: (expected: Partial<SessionSummary>) => expect(summarizeSession(sessionId, events)).toEqual({ ...emptySessionSummary(sessionId), ...expected }),
});

const client = { address: '192.0.2.10', port: 40123, reverseDns: 'mail.example.org', helo: null };
const started = sessionStarted({
  sessionId, listener: 'mx', client, localAddress: '127.0.0.1', localPort: 2525, tls: null, startedAt: at(0),
});
const tls = { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' };
const ended = sessionEnded({
  sessionId, listener: 'mx', endedAt: at(9), reason: 'quit', helo: 'mail.example.org', tls,
  counts: { messagesAccepted: 1, messagesRejected: 1, recipientsRejected: 1 },
});

describe('session summary', () => {
  it('is empty for a stream with no events', () => given([]).then({}));

  it('takes the listener, client and start from SessionStarted and leaves an open session without an end or counts', () =>
    given([started]).then({ listener: 'mx', client, localAddress: '127.0.0.1', localPort: 2525, tls: null, startedAt: at(0) }));

  it('completes the client with the HELO name and the TLS of SessionEnded, and records the end', () =>
    given([started, ended]).then({
      listener: 'mx', client: { ...client, helo: 'mail.example.org' }, localAddress: '127.0.0.1', localPort: 2525, tls,
      startedAt: at(0), endedAt: at(9), endReason: 'quit', counts: { messagesAccepted: 1, messagesRejected: 1, recipientsRejected: 1 },
    }));

  it('lists auth attempts in order, without the session id', () =>
    given([
      started,
      authAttempted({ sessionId, mechanism: 'PLAIN', user: 'alice', outcome: 'failure', at: at(1) }),
      authAttempted({ sessionId, mechanism: 'LOGIN', user: 'alice', outcome: 'success', at: at(2) }),
    ]).then({
      listener: 'mx', client, localAddress: '127.0.0.1', localPort: 2525, startedAt: at(0),
      authAttempts: [
        { mechanism: 'PLAIN', user: 'alice', outcome: 'failure', at: at(1) },
        { mechanism: 'LOGIN', user: 'alice', outcome: 'success', at: at(2) },
      ],
    }));

  it('keeps policy verdicts as recorded', () => {
    const verdict = policyEvaluated({
      sessionId, messageId: null, stage: 'connect', plugin: 'dnsbl', verdict: 'tempfail',
      reply: reply(450, '4.7.1', 'listed', 'CONNECT'), reason: 'listed in zen', at: at(0),
    });
    given([verdict]).then({ policyVerdicts: [verdict.data] });
  });

  it('gathers every kind of rejection as command, address, reply and reason', () =>
    given([
      commandRejected({ sessionId, command: 'VRFY bob', reply: reply(502, '5.5.1', 'not implemented', 'VRFY'), at: at(1) }),
      senderRejected({ sessionId, address: 'spam@bad.test', reply: reply(550, '5.7.1', 'sender refused', 'MAIL FROM'), reason: 'blocked', at: at(2) }),
      recipientRejected({ sessionId, address: 'nobody@example.net', reply: reply(550, '5.1.1', 'unknown', 'RCPT TO'), reason: 'no such user', at: at(3) }),
      messageRejected({
        sessionId, mailFrom: 'a@example.org', rcptTo: ['b@example.net'], sizeBytes: 99_999_999,
        reply: reply(552, '5.3.4', 'too big', 'DATA'), reason: 'size limit', at: at(4),
      }),
    ]).then({
      rejections: [
        { command: 'VRFY bob', address: null, reply: reply(502, '5.5.1', 'not implemented', 'VRFY'), reason: null, at: at(1) },
        { command: 'MAIL FROM', address: 'spam@bad.test', reply: reply(550, '5.7.1', 'sender refused', 'MAIL FROM'), reason: 'blocked', at: at(2) },
        { command: 'RCPT TO', address: 'nobody@example.net', reply: reply(550, '5.1.1', 'unknown', 'RCPT TO'), reason: 'no such user', at: at(3) },
        { command: 'DATA', address: null, reply: reply(552, '5.3.4', 'too big', 'DATA'), reason: 'size limit', at: at(4) },
      ],
    }));

  it('skips event types it does not know and versions newer than the catalogue', () =>
    given([
      { type: 'SessionAnnotated', schemaVersion: 1, data: { note: 'from a newer node' } },
      { ...started, schemaVersion: 2 },
    ]).then({}));
});
