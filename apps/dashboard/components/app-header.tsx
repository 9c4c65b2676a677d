'use client';

import Link from 'next/link';
import { useEffect, useState } from 'react';
import { VIEWER_QUERY, type ViewerResult } from '../lib/queries';
import type { Session } from '../lib/use-session';

/** The bar on every signed-in page: product name, navigation, who is signed in, sign-out. */
export const AppHeader = ({ session }: { session: Session }) => {
  const { apiKey, request, signOut } = session;
  const [viewer, setViewer] = useState<ViewerResult['viewer']>(null);

  useEffect(() => {
    if (!apiKey) return;
    const controller = new AbortController();
    request<ViewerResult>(VIEWER_QUERY, {}, controller.signal)
      .then((result) => setViewer(result.viewer))
      .catch(() => undefined); // the page's own requests report errors; the header only decorates
    return () => controller.abort();
  }, [apiKey, request]);

  return (
    <header className="app-header">
      <Link href="/messages/" className="brand">
        <span className="brand-mark" aria-hidden="true">◆</span> Elemta
      </Link>
      <nav className="app-nav">
        <Link href="/messages/">Messages</Link>
      </nav>
      <div className="app-header-right">
        {viewer && (
          <span className="viewer" data-testid="viewer" title={viewer.id}>
            {viewer.role.toLowerCase()}
          </span>
        )}
        <button type="button" className="button button-quiet" onClick={signOut} data-testid="sign-out">
          Sign out
        </button>
      </div>
    </header>
  );
};
