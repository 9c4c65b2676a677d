'use client';

import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { useEffect, useState } from 'react';
import { MESSAGE_QUERY, type MessageDetail, type MessageResult } from '../lib/queries';
import { useSession, type AuthedRequest } from '../lib/use-session';
import { AppHeader } from './app-header';
import { ContentPanel, EnvelopePanel } from './envelope-panel';
import { EventTimeline } from './event-timeline';
import { StatusBadge } from './status-badge';

type Loaded = { message: MessageDetail | null; error: string | null; loading: boolean };

/** Re-reads the message every few seconds: delivery keeps appending events while the page is open. */
const useMessage = (request: AuthedRequest, enabled: boolean, id: string | null, refreshMs = 1000): Loaded => {
  const [state, setState] = useState<Loaded>({ message: null, error: null, loading: true });
  useEffect(() => {
    if (!enabled || !id) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState({ message: null, error: null, loading: true });
    const load = async (): Promise<void> => {
      try {
        const { message } = await request<MessageResult>(MESSAGE_QUERY, { id }, controller.signal);
        setState({ message, error: null, loading: false });
      } catch (err) {
        if (controller.signal.aborted) return;
        setState((prev) => ({ ...prev, loading: false, error: err instanceof Error ? err.message : 'Request failed.' }));
      }
      if (!controller.signal.aborted) timer = setTimeout(() => void load(), refreshMs);
    };
    void load();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [request, enabled, id, refreshMs]);
  return state;
};

const Body = ({ id, loaded }: { id: string | null; loaded: Loaded }) => {
  if (!id) return <p className="banner banner-error">No message id in the address (expected <code>/message/?id=…</code>).</p>;
  const { message, error, loading } = loaded;
  if (!message) {
    if (error) return <p className="banner banner-error" role="alert">{error}</p>;
    return <p className="empty">{loading ? 'Loading…' : 'No such message.'}</p>;
  }
  return (
    <>
      {error && <p className="banner banner-error" role="alert">{error}</p>}
      <div className="message-title">
        <h1 data-testid="message-subject">{message.subject ?? '(no subject)'}</h1>
        <StatusBadge status={message.status} />
      </div>
      <div className="panels">
        <EnvelopePanel message={message} />
        <ContentPanel message={message} />
      </div>
      <EventTimeline events={message.events} />
    </>
  );
};

export const MessageView = () => {
  const session = useSession();
  const id = useSearchParams().get('id');
  const loaded = useMessage(session.request, session.apiKey !== null, id);
  return (
    <>
      <AppHeader session={session} />
      <main className="page">
        <nav className="breadcrumb">
          <Link href="/messages/" data-testid="back-to-messages">← Messages</Link>
          {id && <span className="mono muted">{id}</span>}
        </nav>
        <Body id={id} loaded={loaded} />
      </main>
    </>
  );
};
