import { describe, expect, it } from 'vitest';
import type { Context } from '../builder.js';
import { messageTimeline } from './message-timeline.js';

describe('messageTimeline', () => {
  const row = (version: number) => ({
    messageId: 'm1', version, position: String(version), type: 'RetryRequested', schemaVersion: 1, recordedAt: '2026-11-21T00:00:00.000Z',
    data: { messageId: 'm1' }, metadata: { correlationId: 'm1', causationId: null, actor: 'a', node: 'n', stream: 'message-m1', version, position: String(version), recordedAt: '2026-11-21T00:00:00.000Z', prevHash: '', hash: '' },
  });
  it('reads once per message object, and again for a new object of the same message (a subscription\'s next update)', async () => {
    let reads = 0;
    const ctx = { readModels: { messages: { getMessageEvents: async () => Array.from({ length: ++reads }, (_, i) => row(i + 1)) } } } as unknown as Context;
    const first = { id: 'm1' };
    expect(await messageTimeline(ctx, first)).toHaveLength(1);
    expect(await messageTimeline(ctx, first)).toHaveLength(1); // the same query's other fields share the read
    expect(reads).toBe(1);
    expect(await messageTimeline(ctx, { id: 'm1' })).toHaveLength(2); // same context, next update: a fresh read
    expect(reads).toBe(2);
  });
});
