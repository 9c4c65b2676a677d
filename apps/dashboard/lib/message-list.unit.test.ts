import { describe, expect, it } from 'vitest';
import { appendPage, mergeFirstPage } from './message-list';
import type { MessageEdge, MessageStatus } from './queries';

const edge = (id: string, status: MessageStatus = 'QUEUED'): MessageEdge => ({
  cursor: `c-${id}`,
  node: { id, status, mailFrom: 'a@example.org', recipients: [], subject: id, messageIdHeader: null, size: 1, receivedAt: '2026-01-01T00:00:00Z' },
});
const ids = (edges: readonly MessageEdge[]) => edges.map((e) => `${e.node.id}:${e.node.status}`);

describe('auto-refresh of the message list', () => {
  it('puts new messages on top and updates statuses of those already shown', () => {
    const shown = [edge('b'), edge('a')];
    expect(ids(mergeFirstPage(shown, [edge('c'), edge('b', 'DELIVERED')]))).toEqual(['c:QUEUED', 'b:DELIVERED', 'a:QUEUED']);
  });

  it('keeps rows loaded with "Load more" after the fresh first page', () => {
    const shown = [edge('d'), edge('c'), edge('b'), edge('a')];
    expect(ids(mergeFirstPage(shown, [edge('e'), edge('d')]))).toEqual(['e:QUEUED', 'd:QUEUED', 'c:QUEUED', 'b:QUEUED', 'a:QUEUED']);
  });

  it('does not repeat a message that a new arrival pushed onto the next page', () => {
    expect(ids(appendPage([edge('c'), edge('b')], [edge('b'), edge('a')]))).toEqual(['c:QUEUED', 'b:QUEUED', 'a:QUEUED']);
  });
});
