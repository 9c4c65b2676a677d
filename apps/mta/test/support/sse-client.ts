/** One result of a GraphQL subscription as graphql-yoga sends it over SSE (`event: next`, `data: <json>`). */
export type SseResult<T> = { data?: T; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };

export type SseSubscription<T> = Readonly<{
  status: number;
  contentType: string | null;
  /** The next result; null once the server sent `event: complete`. Throws when none arrives in time. */
  next: (timeoutMs?: number) => Promise<SseResult<T> | null>;
  /** Disconnects, as a client that goes away. */
  close: () => void;
}>;

/**
 * A GraphQL subscription over Server-Sent Events, the way a browser or an integrator's fetch does it: one POST with
 * `Accept: text/event-stream`, then a stream of `event:`/`data:` blocks separated by blank lines (pings are comments).
 */
export const subscribeSse = async <T = Record<string, unknown>>(
  httpPort: number, key: string, query: string, variables: Record<string, unknown> = {},
): Promise<SseSubscription<T>> => {
  const controller = new AbortController();
  const response = await fetch(`http://127.0.0.1:${httpPort}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
    signal: controller.signal,
  });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let completed = false;

  const nextBlock = async (): Promise<{ event: string; data: string } | null> => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = block.split('\n').filter((line) => !line.startsWith(':'));
        if (fields.length === 0) continue; // a ping
        const value = (name: string) => fields.filter((l) => l.startsWith(`${name}:`)).map((l) => l.slice(name.length + 1).trimStart()).join('\n');
        return { event: value('event'), data: value('data') };
      }
      const { value, done } = await reader.read();
      if (done) return null;
      buffer += value;
    }
  };

  const next = async (timeoutMs = 10_000): Promise<SseResult<T> | null> => {
    if (completed) return null;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no subscription result within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const block = await Promise.race([nextBlock(), timeout]);
      if (block === null || block.event === 'complete') {
        completed = true;
        return null;
      }
      return JSON.parse(block.data) as SseResult<T>;
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    next,
    close: () => {
      completed = true;
      controller.abort();
      reader.cancel().catch(() => {});
    },
  };
};
