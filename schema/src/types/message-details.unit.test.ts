import { describe, expect, it } from 'vitest';
import {
  deliveryAttempted, messageAccepted, messageQueued, policyEvaluated, recipientDeferred, recipientDelivered, type AnyDomainEvent,
} from '@elemta/domain';
import type { MessageEventView } from '@elemta/projections';
import { aMessage, execute } from '../testing/fixtures.js';
import { InMemoryMessageReadModel } from '../testing/in-memory-message-read-model.js';

const id = '0190f3c2-0000-7000-8000-000000000001';
const sessionId = '0190f3c1-0000-7000-8000-000000000001';
const bob = 'bob@example.net';
const carol = 'carol@example.org';
const at = (s: number) => new Date(Date.parse('2026-11-20T09:30:00.000Z') + s * 1000).toISOString();
const tempFail = { code: 451, enhancedCode: '4.7.1', text: 'Greylisted', command: 'RCPT TO' };
const ok = { code: 250, enhancedCode: '2.0.0', text: 'Queued', command: 'DATA' };
const tls = { protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256' };
const authentication = { spf: { result: 'pass', detail: 'smtp.mailfrom=example.org' }, dkim: { result: 'pass', detail: 'header.d=example.org' }, dmarc: null, arc: null };

const attempt = (attemptId: string, recipients: string[], reply: typeof ok, outcome: 'delivered' | 'deferred' | 'partial', s: number) =>
  deliveryAttempted({
    messageId: id, attemptId, recipients, zone: 'default', localAddress: '192.0.2.1', mxHost: 'mx.example.net', mxAddress: '198.51.100.7',
    tls, reply, durationMs: 120.5, outcome, at: at(s),
  });

const timeline: AnyDomainEvent[] = [
  messageAccepted({
    messageId: id, sessionId, envelope: { mailFrom: 'alice@example.org', rcptTo: [bob, carol], params: { BODY: '8BITMIME' } }, sizeBytes: 1024,
    bodySha256: 'a'.repeat(64), bodyRef: 'a'.repeat(64),
    headers: { from: 'Alice <alice@example.org>', to: 'bob@example.net', subject: 'Hello', messageId: '<abc@example.org>', date: 'Fri, 20 Nov 2026 09:30:00 +0000' },
    authentication, client: { address: '192.0.2.10', port: 40000, reverseDns: null, helo: 'client.test' }, listener: 'mx', authUser: null, tls,
    annotations: {}, acceptedAt: at(0),
  }),
  messageQueued({ messageId: id, queuedAt: at(0), recipients: [
    { address: bob, domain: 'example.net', route: 'relay', zone: 'default', priority: 'high', notBefore: at(0) },
    { address: carol, domain: 'example.org', route: 'relay', zone: 'default', priority: 'high', notBefore: at(0) },
  ] }),
  policyEvaluated({ sessionId, messageId: id, stage: 'data', plugin: 'spam', verdict: 'tag', reply: null, reason: 'score 1.2', at: at(0) }),
  attempt('a1', [bob], tempFail, 'deferred', 10),
  recipientDeferred({ messageId: id, recipient: bob, attemptId: 'a1', reply: tempFail, attempt: 1, nextAttemptAt: at(310), at: at(10) }),
  attempt('a2', [carol], ok, 'delivered', 11),
  recipientDelivered({ messageId: id, recipient: carol, attemptId: 'a2', reply: ok, at: at(11) }),
];

const views: MessageEventView[] = timeline.map((e, i) => ({
  messageId: id, version: i + 1, position: `1/${i + 1}`, type: e.type, schemaVersion: e.schemaVersion, recordedAt: at(i), data: e.data,
  metadata: { actor: 'smtp:192.0.2.10', correlationId: id, causationId: sessionId, node: 'n1', prevHash: '0'.repeat(64), hash: `h${i}` },
}));

const message = aMessage({ id, recipients: [
  { address: bob, domain: 'example.net', status: 'deferred', route: 'relay', zone: 'default' },
  { address: carol, domain: 'example.org', status: 'delivered', route: 'relay', zone: 'default' },
] });

const query = (fields: string) => execute(new InMemoryMessageReadModel([message], views), `{ message(id: "${id}") { ${fields} } }`);

describe('Message details from the timeline', () => {
  it('lists delivery attempts with destination, TLS, reply, duration and outcome', async () => {
    const result = await query('deliveryAttempts { attemptId recipients zone localAddress mxHost mxAddress tls { protocol } reply { code text } durationMs outcome at }');
    expect(result.errors).toBeUndefined();
    expect(result.data?.message).toEqual({ deliveryAttempts: [
      { attemptId: 'a1', recipients: [bob], zone: 'default', localAddress: '192.0.2.1', mxHost: 'mx.example.net', mxAddress: '198.51.100.7',
        tls: { protocol: 'TLSv1.3' }, reply: { code: 451, text: 'Greylisted' }, durationMs: 120.5, outcome: 'DEFERRED', at: at(10) },
      { attemptId: 'a2', recipients: [carol], zone: 'default', localAddress: '192.0.2.1', mxHost: 'mx.example.net', mxAddress: '198.51.100.7',
        tls: { protocol: 'TLSv1.3' }, reply: { code: 250, text: 'Queued' }, durationMs: 120.5, outcome: 'DELIVERED', at: at(11) },
    ] });
  });

  it('lists the policy verdicts recorded on the message', async () => {
    const result = await query('policyVerdicts { stage plugin verdict reply { code } reason messageId at }');
    expect(result.data?.message).toEqual({ policyVerdicts: [
      { stage: 'DATA', plugin: 'spam', verdict: 'TAG', reply: null, reason: 'score 1.2', messageId: id, at: at(0) },
    ] });
  });

  it('shows authentication results, headers, envelope, client and TLS of the reception', async () => {
    const result = await query(`authentication { spf { result detail } dkim { result } dmarc { result } arc { result } }
      headers { from to subject messageId date } envelope { mailFrom rcptTo params } client { address helo } tls { cipher } sessionId`);
    expect(result.data?.message).toEqual({
      authentication: { spf: { result: 'pass', detail: 'smtp.mailfrom=example.org' }, dkim: { result: 'pass' }, dmarc: null, arc: null },
      headers: { from: 'Alice <alice@example.org>', to: 'bob@example.net', subject: 'Hello', messageId: '<abc@example.org>', date: 'Fri, 20 Nov 2026 09:30:00 +0000' },
      envelope: { mailFrom: 'alice@example.org', rcptTo: [bob, carol], params: { BODY: '8BITMIME' } },
      client: { address: '192.0.2.10', helo: 'client.test' }, tls: { cipher: 'TLS_AES_128_GCM_SHA256' }, sessionId,
    });
  });

  it('gives each recipient its priority, attempts, next attempt while pending, and last reply', async () => {
    const result = await query('recipients { address zone priority attempts nextAttemptAt lastReply { code } }');
    expect(result.data?.message).toEqual({ recipients: [
      { address: bob, zone: 'default', priority: 'HIGH', attempts: 1, nextAttemptAt: at(310), lastReply: { code: 451 } },
      { address: carol, zone: 'default', priority: 'HIGH', attempts: 1, nextAttemptAt: null, lastReply: { code: 250 } },
    ] });
  });

  it('returns the timeline as Event objects, typed by event type', async () => {
    const result = await query('events { __typename stream version ... on RecipientDeferredEvent { attempt nextAttemptAt } }');
    const events = (result.data?.message as { events: { __typename: string }[] }).events;
    expect(events.map((e) => e.__typename)).toEqual([
      'MessageAcceptedEvent', 'MessageQueuedEvent', 'PolicyEvaluatedEvent', 'DeliveryAttemptedEvent', 'RecipientDeferredEvent',
      'DeliveryAttemptedEvent', 'RecipientDeliveredEvent',
    ]);
    expect(events[4]).toEqual({ __typename: 'RecipientDeferredEvent', stream: `message-${id}`, version: 5, attempt: 1, nextAttemptAt: at(310) });
  });

  it('reads the timeline once per message and request, however many fields ask', async () => {
    const messages = new InMemoryMessageReadModel([message], views);
    let reads = 0;
    const read = messages.getMessageEvents.bind(messages);
    messages.getMessageEvents = (messageId) => { reads++; return read(messageId); };
    await execute(messages, `{ message(id: "${id}") { headers { subject } deliveryAttempts { attemptId } recipients { attempts lastReply { code } } events { type } } }`);
    expect(reads).toBe(1);
  });
});
