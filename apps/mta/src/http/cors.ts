import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * CORS for /graphql, off unless origins are listed: only a listed Origin gets `Access-Control-Allow-Origin` (echoed,
 * never `*`), so other sites' pages cannot read answers even with a key. Keys travel in the Authorization header, not in
 * cookies, so no credentials mode is offered.
 */
export const createCors = (origins: readonly string[]) => {
  const allowed = new Set(origins);
  const allowedOrigin = (req: IncomingMessage): string | null => {
    const origin = req.headers.origin;
    return typeof origin === 'string' && allowed.has(origin) ? origin : null;
  };
  /** Adds the CORS headers for a listed origin; returns whether it was one. Every answer varies by Origin. */
  const apply = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (allowed.size > 0) res.setHeader('vary', 'Origin');
    const origin = allowedOrigin(req);
    if (origin === null) return false;
    res.setHeader('access-control-allow-origin', origin);
    return true;
  };
  return {
    apply,
    /** Answers a preflight (OPTIONS with Access-Control-Request-Method) from a listed origin; false for anything else. */
    preflight(req: IncomingMessage, res: ServerResponse): boolean {
      if (req.method !== 'OPTIONS' || !req.headers['access-control-request-method'] || !apply(req, res)) return false;
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': 'authorization, content-type, accept',
        'access-control-max-age': '600',
      });
      res.end();
      return true;
    },
  };
};
