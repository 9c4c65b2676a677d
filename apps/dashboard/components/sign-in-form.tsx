'use client';

import { useRouter, useSearchParams } from 'next/navigation';
import { useEffect, useState, type FormEvent } from 'react';
import { GraphqlRequestError, graphqlRequest } from '../lib/graphql-client';
import { VIEWER_QUERY, type ViewerResult } from '../lib/queries';
import { readApiKey, storeApiKey } from '../lib/session';

const describeFailure = (err: unknown): string => {
  if (err instanceof GraphqlRequestError) {
    if (err.kind === 'unauthenticated') return 'This API key was not accepted. Check it and try again.';
    if (err.kind === 'network') return `${err.message} Is the daemon running?`;
    return `The server refused the request: ${err.message}`;
  }
  return 'Sign-in failed unexpectedly.';
};

/** Checks the key against the server (`viewer`) before keeping it, so a typo is reported here and not on the next page. */
export const SignInForm = () => {
  const router = useRouter();
  const expired = useSearchParams().get('expired') !== null;
  const [apiKey, setApiKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (readApiKey()) router.replace('/messages/');
  }, [router]);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const key = apiKey.trim();
    if (!key) return setError('Enter an API key.');
    setBusy(true);
    setError(null);
    try {
      const { viewer } = await graphqlRequest<ViewerResult>(VIEWER_QUERY, {}, key);
      if (!viewer) throw new GraphqlRequestError('unauthenticated', 'no viewer');
      storeApiKey(key);
      router.push('/messages/');
    } catch (err) {
      setError(describeFailure(err));
      setBusy(false);
    }
  };

  return (
    <form className="sign-in-card" onSubmit={submit} data-testid="sign-in-form" noValidate>
      <h1>
        <span className="brand-mark" aria-hidden="true">◆</span> Elemta
      </h1>
      <p className="muted">Sign in with an API key. The daemon wrote the admin key to <code>&lt;data dir&gt;/admin.key</code>.</p>
      {expired && !error && <p className="notice">Your session ended; sign in again.</p>}
      <label htmlFor="api-key">API key</label>
      <input
        id="api-key"
        name="apiKey"
        type="password"
        autoComplete="current-password"
        autoFocus
        spellCheck={false}
        value={apiKey}
        onChange={(e) => setApiKey(e.target.value)}
        data-testid="api-key-input"
      />
      {error && (
        <p className="form-error" role="alert" data-testid="sign-in-error">
          {error}
        </p>
      )}
      <button type="submit" className="button button-primary" disabled={busy} data-testid="sign-in-submit">
        {busy ? 'Checking…' : 'Sign in'}
      </button>
    </form>
  );
};
