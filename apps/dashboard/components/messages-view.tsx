'use client';

import { useRouter, useSearchParams } from 'next/navigation';
import { useEffect, useMemo, useState } from 'react';
import { MESSAGE_STATUSES, type MessageFilter, type MessageStatus } from '../lib/queries';
import { useMessages } from '../lib/use-messages';
import { useSession } from '../lib/use-session';
import { AppHeader } from './app-header';
import { MessageTable } from './message-table';

const isStatus = (value: string | null): value is MessageStatus =>
  value !== null && (MESSAGE_STATUSES as readonly string[]).includes(value);

/** Waits until typing pauses, so each keystroke does not become a query. */
const useDebounced = <T,>(value: T, ms: number): T => {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
};

/** The search and status filter live in the query string, so "back" from a message restores them. */
const useFilterInUrl = () => {
  const router = useRouter();
  const params = useSearchParams();
  const [search, setSearch] = useState(params.get('q') ?? '');
  const initialStatus = params.get('status');
  const [status, setStatus] = useState<MessageStatus | ''>(isStatus(initialStatus) ? initialStatus : '');
  const debouncedSearch = useDebounced(search.trim(), 250);

  useEffect(() => {
    const next = new URLSearchParams();
    if (debouncedSearch) next.set('q', debouncedSearch);
    if (status) next.set('status', status);
    const query = next.toString();
    // Only when the filter changed: a replace here must never undo a redirect to sign-in.
    if (query === window.location.search.replace(/^\?/, '')) return;
    router.replace(query ? `/messages/?${query}` : '/messages/', { scroll: false });
  }, [debouncedSearch, status, router]);

  const filter = useMemo<MessageFilter>(
    () => ({ ...(debouncedSearch ? { search: debouncedSearch } : {}), ...(status ? { status: [status] } : {}) }),
    [debouncedSearch, status],
  );
  return { search, setSearch, status, setStatus, filter };
};

export const MessagesView = () => {
  const session = useSession();
  const { search, setSearch, status, setStatus, filter } = useFilterInUrl();
  const list = useMessages(session.request, session.apiKey !== null, filter);

  return (
    <>
      <AppHeader session={session} />
      <main className="page">
        <div className="toolbar">
          <h1>Messages</h1>
          <input
            type="search"
            className="search"
            placeholder="Search sender, recipient, subject, Message-ID…"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            aria-label="Search messages"
            data-testid="search-input"
          />
          <select value={status} onChange={(e) => setStatus(e.target.value as MessageStatus | '')} aria-label="Status" data-testid="status-filter">
            <option value="">All statuses</option>
            {MESSAGE_STATUSES.map((s) => <option key={s} value={s}>{s.toLowerCase()}</option>)}
          </select>
          <span className="toolbar-meta" data-testid="messages-count">
            {list.totalCount === null ? '' : `${list.totalCount} message${list.totalCount === 1 ? '' : 's'}`}
          </span>
          <span className={`live ${list.error ? 'live-error' : ''}`} title={list.refreshedAt ? `Refreshed ${list.refreshedAt.toLocaleTimeString()}` : ''}>
            {list.error ? 'offline' : 'live'}
          </span>
        </div>
        {list.error && <p className="banner banner-error" role="alert">{list.error}</p>}
        <MessageTable rows={list.rows} />
        {list.loading && <p className="empty">Loading…</p>}
        {!list.loading && list.rows.length === 0 && !list.error && (
          <p className="empty" data-testid="messages-empty">No messages{filter.search || filter.status ? ' match this filter' : ' yet'}.</p>
        )}
        {list.hasMore && (
          <div className="load-more">
            <button type="button" className="button" onClick={() => void list.loadMore()} disabled={list.loadingMore} data-testid="load-more">
              {list.loadingMore ? 'Loading…' : 'Load more'}
            </button>
          </div>
        )}
      </main>
    </>
  );
};
