import type { MessageEdge } from './queries';

/**
 * Folds a fresh first page into the rows on screen, for auto-refresh.
 * The fresh page wins for every message it contains (new messages on top, statuses updated);
 * rows it does not contain are older ones loaded with "Load more" and keep their place after it.
 * Result order: the fresh page, then the remaining rows in their previous order.
 */
export const mergeFirstPage = (current: readonly MessageEdge[], fresh: readonly MessageEdge[]): MessageEdge[] => {
  const freshIds = new Set(fresh.map((edge) => edge.node.id));
  return [...fresh, ...current.filter((edge) => !freshIds.has(edge.node.id))];
};

/** Appends a further page, dropping any message already shown (a new arrival shifts pages by one). */
export const appendPage = (current: readonly MessageEdge[], page: readonly MessageEdge[]): MessageEdge[] => {
  const shown = new Set(current.map((edge) => edge.node.id));
  return [...current, ...page.filter((edge) => !shown.has(edge.node.id))];
};
