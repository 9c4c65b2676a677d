import { describe, expect, it } from 'vitest';
import { isUuid } from '@elemta/domain';
import { newId, newMessageId, newSessionId } from './ids.js';

describe('ids', () => {
  it('creates version-7 UUIDs with the RFC 9562 variant', () => {
    for (const id of [newId(), newMessageId(), newSessionId()]) {
      expect(isUuid(id)).toBe(true);
      expect(id[14]).toBe('7');
      expect('89ab').toContain(id[19]);
    }
  });

  it('sorts in creation order, within and across milliseconds', async () => {
    const ids = Array.from({ length: 1000 }, () => newId());
    await new Promise((r) => setTimeout(r, 5));
    ids.push(newMessageId());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('carries the creation time in its first 48 bits', () => {
    const before = Date.now();
    const id = newId();
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now());
  });
});
