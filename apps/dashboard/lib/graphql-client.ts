/** Why a GraphQL call failed: the key was refused, the daemon was unreachable, or the query itself failed. */
export type GraphqlErrorKind = 'unauthenticated' | 'network' | 'graphql';

export class GraphqlRequestError extends Error {
  override readonly name = 'GraphqlRequestError';
  constructor(readonly kind: GraphqlErrorKind, message: string, readonly status: number | null = null) {
    super(message);
  }
}

type GraphqlResponse<T> = {
  data?: T | null;
  errors?: ReadonlyArray<{ message: string; extensions?: { code?: string } }>;
};

/** The daemon serves GraphQL next to the dashboard, so the endpoint is always same-origin. */
export const GRAPHQL_ENDPOINT = '/graphql';

const parseBody = async <T>(response: Response): Promise<GraphqlResponse<T> | null> => {
  try {
    return (await response.json()) as GraphqlResponse<T>;
  } catch {
    return null;
  }
};

const isUnauthenticated = (status: number, body: GraphqlResponse<unknown> | null): boolean =>
  status === 401 || (body?.errors ?? []).some((e) => e.extensions?.code === 'UNAUTHENTICATED');

/**
 * POSTs one GraphQL operation with the API key as a bearer token.
 * Resolves with `data` only when the server answered without errors; otherwise throws a
 * `GraphqlRequestError` whose `kind` tells the caller whether to send the user back to sign-in.
 */
export const graphqlRequest = async <T>(
  query: string,
  variables: Readonly<Record<string, unknown>>,
  apiKey: string,
  signal?: AbortSignal,
): Promise<T> => {
  let response: Response;
  try {
    response = await fetch(GRAPHQL_ENDPOINT, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ query, variables }),
      signal: signal ?? null,
    });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new GraphqlRequestError('network', 'The Elemta server cannot be reached.');
  }
  const body = await parseBody<T>(response);
  if (isUnauthenticated(response.status, body)) {
    throw new GraphqlRequestError('unauthenticated', body?.errors?.[0]?.message ?? 'The API key was refused.', response.status);
  }
  if (body?.errors?.length) {
    throw new GraphqlRequestError('graphql', body.errors.map((e) => e.message).join('; '), response.status);
  }
  if (!response.ok || !body?.data) {
    throw new GraphqlRequestError('network', `The server answered HTTP ${response.status}.`, response.status);
  }
  return body.data;
};
