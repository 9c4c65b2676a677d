import { DomainError } from '@elemta/domain';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor.js';
import { likePattern, messageIdVariants, messageWhere } from './message-filter.js';
import { clampPageSize } from './message-read-model.js';

describe('cursors', () => {
  it('round-trip received time with microseconds and id', () => {
    const cursor = { receivedAt: '2026-01-01T10:00:00.123456Z', id: '0190f3c2-0000-7000-8000-000000000001' };
    const encoded = encodeCursor(cursor);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(encoded)).toEqual(cursor);
  });

  it('reject anything else with INVALID_CURSOR', () => {
    for (const bad of ['', 'not base64 json', Buffer.from('["x","y"]').toString('base64url'), Buffer.from('{}').toString('base64url')]) {
      expect(() => decodeCursor(bad)).toThrow(DomainError);
    }
  });
});

describe('filters', () => {
  it('escapes LIKE wildcards so a search means its characters', () =>
    expect(likePattern('50%_off\\')).toBe('%50\\%\\_off\\\\%'));

  it('matches a Message-ID with or without angle brackets', () => {
    expect(messageIdVariants('<abc@x.test>')).toEqual(['abc@x.test', '<abc@x.test>']);
    expect(messageIdVariants('abc@x.test')).toEqual(['abc@x.test', '<abc@x.test>']);
  });

  it('numbers parameters in order and rejects a bad timestamp', () => {
    const where = messageWhere({ sender: 'a@b', status: ['queued'], receivedAfter: '2026-01-01T00:00:00Z' });
    expect(where.conditions).toEqual(['lower(mail_from) = lower($1)', 'status = ANY($2::text[])', 'received_at >= $3::timestamptz']);
    expect(where.params).toEqual(['a@b', ['queued'], '2026-01-01T00:00:00Z']);
    expect(() => messageWhere({ receivedBefore: 'yesterday-ish' })).toThrow(DomainError);
  });

  it('clamps the page size to 1..200', () =>
    expect([0, -5, 1, 50.7, 200, 201, Number.NaN].map(clampPageSize)).toEqual([1, 1, 1, 50, 200, 200, 1]));
});
