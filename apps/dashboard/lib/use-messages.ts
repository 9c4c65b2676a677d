'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import { appendPage, mergeFirstPage } from './message-list';
import { MESSAGES_QUERY, type MessageEdge, type MessageFilter, type MessagesResult } from './queries';
import type { AuthedRequest } from './use-session';

export type MessagesState = {
  rows: MessageEdge[];
  totalCount: number | null;
  hasMore: boolean;
  loading: boolean;
  loadingMore: boolean;
  error: string | null;
  refreshedAt: Date | null;
};

const INITIAL: MessagesState = {
  rows: [], totalCount: null, hasMore: false, loading: true, loadingMore: false, error: null, refreshedAt: null,
};

const errorText = (err: unknown): string => (err instanceof Error ? err.message : 'Request failed.');

const withFreshPage = (prev: MessagesState, page: MessagesResult['messages']): MessagesState => {
  const rows = mergeFirstPage(prev.rows, page.edges);
  return {
    ...prev,
    rows,
    totalCount: page.totalCount,
    // Rows beyond the first page came from "Load more", which knows whether more exist.
    hasMore: rows.length > page.edges.length ? prev.hasMore : page.pageInfo.hasNextPage,
    loading: false,
    error: null,
    refreshedAt: new Date(),
  };
};

/**
 * The message list for one filter: loads the first page, re-reads it every `refreshMs`
 * (new messages appear on top, statuses update), and appends older pages on `loadMore`.
 * Answers to a previous filter are dropped, so a slow response never overwrites a newer search.
 */
export const useMessages = (
  request: AuthedRequest,
  enabled: boolean,
  filter: MessageFilter,
  options: { pageSize?: number; refreshMs?: number } = {},
) => {
  const { pageSize = 50, refreshMs = 500 } = options;
  const [state, setState] = useState<MessagesState>(INITIAL);
  const generation = useRef(0);
  const filterKey = JSON.stringify(filter);

  const fetchPage = useCallback(
    (after: string | null, signal?: AbortSignal) =>
      request<MessagesResult>(MESSAGES_QUERY, { filter: JSON.parse(filterKey) as MessageFilter, first: pageSize, after }, signal),
    [request, filterKey, pageSize],
  );

  useEffect(() => {
    if (!enabled) return;
    const current = ++generation.current;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState(INITIAL);
    const refresh = async (): Promise<void> => {
      if (!document.hidden) {
        try {
          const { messages } = await fetchPage(null, controller.signal);
          if (current === generation.current) setState((prev) => withFreshPage(prev, messages));
        } catch (err) {
          if (controller.signal.aborted) return;
          setState((prev) => ({ ...prev, loading: false, error: errorText(err) }));
        }
      }
      if (!controller.signal.aborted) timer = setTimeout(() => void refresh(), refreshMs);
    };
    void refresh();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [enabled, fetchPage, refreshMs]);

  const loadMore = useCallback(async () => {
    const current = generation.current;
    const after = state.rows.at(-1)?.cursor ?? null;
    setState((prev) => ({ ...prev, loadingMore: true }));
    try {
      const { messages } = await fetchPage(after);
      if (current !== generation.current) return;
      setState((prev) => ({
        ...prev, rows: appendPage(prev.rows, messages.edges), hasMore: messages.pageInfo.hasNextPage, loadingMore: false,
      }));
    } catch (err) {
      if (current === generation.current) setState((prev) => ({ ...prev, loadingMore: false, error: errorText(err) }));
    }
  }, [fetchPage, state.rows]);

  return { ...state, loadMore };
};
