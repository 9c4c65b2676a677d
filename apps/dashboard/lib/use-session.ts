'use client';

import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useState } from 'react';
import { GraphqlRequestError, graphqlRequest } from './graphql-client';
import { clearApiKey, readApiKey } from './session';

export type AuthedRequest = <T>(query: string, variables: Readonly<Record<string, unknown>>, signal?: AbortSignal) => Promise<T>;

export type Session = {
  /** null until the key has been read from sessionStorage (never during the static prerender). */
  apiKey: string | null;
  signOut: () => void;
  /** Sends a GraphQL request with the key; a refused key signs the user out and goes back to sign-in. */
  request: AuthedRequest;
};

/**
 * For pages behind sign-in: reads the API key once mounted and sends the user to `/` when
 * there is none, or when the server refuses it later (key revoked, daemon data dir reset).
 */
export const useSession = (): Session => {
  const router = useRouter();
  const [apiKey, setApiKey] = useState<string | null>(null);

  useEffect(() => {
    const stored = readApiKey();
    if (stored) setApiKey(stored);
    else router.replace('/');
  }, [router]);

  const signOut = useCallback(() => {
    clearApiKey();
    router.replace('/');
  }, [router]);

  const request = useCallback<AuthedRequest>(
    async (query, variables, signal) => {
      if (!apiKey) throw new GraphqlRequestError('unauthenticated', 'Not signed in.');
      try {
        return await graphqlRequest(query, variables, apiKey, signal);
      } catch (err) {
        if (err instanceof GraphqlRequestError && err.kind === 'unauthenticated') {
          clearApiKey();
          router.replace('/?expired=1');
        }
        throw err;
      }
    },
    [apiKey, router],
  );

  return { apiKey, signOut, request };
};
