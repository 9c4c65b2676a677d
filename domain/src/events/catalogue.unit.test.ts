import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.js';
import { eventTypes, upcastEvent, validateEvent } from './catalogue.js';
import { messageQueued } from './message-events.js';
import { sessionStarted } from './session-events.js';

describe('event catalogue', () => {
  it('holds every event of the design catalogue', () => {
    for (const type of [
      'SessionStarted', 'SessionEnded', 'AuthAttempted', 'PolicyEvaluated', 'RecipientRejected', 'MessageAccepted',
      'MessageQueued', 'DeliveryAttempted', 'RecipientDelivered', 'RecipientDeferred', 'RecipientBounced',
      'RetryScheduled', 'MessageExpired', 'BounceQueued', 'MessageHeld', 'MessageReleased', 'MessageCancelled', 'RetryRequested',
    ]) expect(eventTypes).toContain(type);
  });

  it('validates data against the schema of its type', () => {
    const ok = sessionStarted({
      sessionId: 's1', listener: 'mx', client: { address: '127.0.0.1', port: 1, reverseDns: null, helo: null },
      localAddress: '127.0.0.1', localPort: 2525, tls: null, startedAt: '2026-11-20T10:00:00.000Z',
    });
    expect(validateEvent(ok)).toBe(ok);
    const bad = messageQueued({ messageId: 'm', recipients: [], queuedAt: 'yesterday' });
    expect(() => validateEvent(bad)).toThrow(DomainError);
    expect(() => validateEvent(bad)).toThrow(/queuedAt/);
  });

  it('passes unknown event types through unchanged', () => {
    const event = { type: 'SomethingNew', schemaVersion: 3, data: { x: 1 } };
    expect(upcastEvent(event)).toBe(event);
  });

  it('refuses a known type at a version it has no upcaster for', () => {
    expect(() => upcastEvent({ type: 'MessageQueued', schemaVersion: 0, data: {} })).toThrow(/no upcaster/);
  });
});
