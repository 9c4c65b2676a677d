import { describe, expect, it } from 'vitest';
import { readEventMetadata, summarizeEvent } from './event-summary';
import { asJson, formatAddress, formatBytes, shortHash } from './format';

describe('timeline summaries', () => {
  it('summarizes MessageAccepted by envelope, size, listener and client', () => {
    const data = {
      envelope: { mailFrom: '', rcptTo: ['bob@example.net'], params: {} }, sizeBytes: 2048, listener: 'inbound',
      client: { address: '127.0.0.1', port: 1, reverseDns: null, helo: null },
    };
    expect(summarizeEvent('MessageAccepted', data)).toBe('from <> to bob@example.net · 2.0 KiB · listener inbound · client 127.0.0.1');
  });

  it('lists routes and zones of MessageQueued', () => {
    const data = { recipients: [{ address: 'bob@example.net', route: 'capture', zone: 'default', priority: 'normal' }] };
    expect(summarizeEvent('MessageQueued', data)).toBe('bob@example.net → capture (zone default, normal)');
  });

  it('says nothing for event types it does not know', () => {
    expect(summarizeEvent('SomethingNew', { a: 1 })).toBeNull();
  });

  it('reads actor and hash from metadata, sent as an object or as JSON text', () => {
    const metadata = { actor: 'smtp:127.0.0.1', hash: 'f'.repeat(64), prevHash: '0'.repeat(64), eventId: 'e1' };
    expect(readEventMetadata(asJson(JSON.stringify(metadata)))).toEqual(metadata);
    expect(readEventMetadata(null)).toEqual({ actor: null, hash: null, prevHash: null, eventId: null });
  });
});

describe('formatting', () => {
  it('formats sizes, the null reverse-path and hashes', () => {
    expect([formatBytes(512), formatBytes(1536), formatBytes(5 * 1024 * 1024)]).toEqual(['512 B', '1.5 KiB', '5.0 MiB']);
    expect(formatAddress('')).toBe('<>');
    expect(shortHash('0123456789abcdef0123456789abcdef')).toBe('01234567…cdef');
  });
});
