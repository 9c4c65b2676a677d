import { sessionStarted } from '@elemta/domain';
import { describe, expect, it } from 'vitest';
import { accepted, newId, recorded } from '../testing/message-fixtures.js';
import { toMessageEventRow } from './message-events.projection.js';

describe('message timeline rows', () => {
  it('keeps an event of a message stream with its version, position and metadata', () => {
    const id = newId();
    const event = recorded(accepted(id), { version: 1, recordedAt: '2026-01-01T10:00:00.000Z' });
    expect(toMessageEventRow(event)).toEqual({
      messageId: id, version: 1, position: event.metadata.position, type: 'MessageAccepted', schemaVersion: 1,
      recordedAt: '2026-01-01T10:00:00.000Z', data: event.data, metadata: event.metadata,
    });
  });

  it('skips events outside message streams even when their data names a message', () =>
    expect(toMessageEventRow(recorded(accepted(newId()), { stream: `session-${newId()}` }))).toBeNull());

  it('skips events without a messageId', () => {
    const started = sessionStarted({
      sessionId: newId(), listener: 'inbound', client: { address: '127.0.0.1', port: 1, reverseDns: null, helo: null },
      localAddress: '127.0.0.1', localPort: 2525, tls: null, startedAt: '2026-01-01T10:00:00.000Z',
    });
    expect(toMessageEventRow(recorded(started, { stream: `message-${newId()}` }))).toBeNull();
  });
});
