import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Kind, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { createYoga } from 'graphql-yoga';
import type { Registry } from 'prom-client';
import type { Viewer } from '../auth/api-keys.js';
import { createCors } from './cors.js';
import { defaultQueryLimits, queryLimitsRule, type QueryLimits } from './query-limits.js';
import { discardRest, readBody } from './request-body.js';
import { serveStatic } from './static-files.js';

type Log = { warn: (obj: object, msg: string) => void; error: (obj: object, msg: string) => void };

export type HttpDeps = Readonly<{
  schema: GraphQLSchema;
  /** Builds the per-request GraphQL context for an authenticated viewer. */
  context: (viewer: Viewer, request: RequestScope) => object;
  authenticate: (key: string) => Promise<Viewer | null>;
  registry: Registry;
  /** Liveness: the process answers and its stores respond. */
  health: () => Promise<Record<string, boolean>>;
  /** Readiness for traffic: the stores respond and the views are not far behind the log. */
  ready?: () => Promise<Record<string, boolean>>;
  dashboardDir: string | null;
  log: Log;
  /** Called once per executed GraphQL operation. */
  onOperation?: (info: { operation: string; type: string; seconds: number; ok: boolean }) => void;
  limits?: QueryLimits;
  /** Largest /graphql request body in bytes (1 MiB); larger ones get 413. */
  maxBodySize?: number;
  /** Browser origins allowed to call /graphql (CORS); none by default. */
  corsOrigins?: readonly string[];
}>;

/**
 * What outlives the request's first answer (subscriptions): `signal` aborts when the client goes away, and
 * `stillAuthenticated` checks the request's API key again (it may have been revoked since).
 */
export type RequestScope = Readonly<{ signal: AbortSignal; stillAuthenticated: () => Promise<boolean> }>;

const DEFAULT_MAX_BODY = 1024 * 1024;
/** After a 413, how much more of the body (as a multiple of the limit) is read and discarded before the connection drops. */
const LINGER_FACTOR = 4;

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
};

const unauthenticated = (res: ServerResponse, message: string) =>
  json(res, 401, { errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] }, { 'www-authenticate': 'Bearer realm="elemta"' });

/** `/graphql` (Bearer API key required), `/metrics`, `/healthz`, `/readyz`, and the dashboard's static files at `/`. */
export const createHttpServer = (deps: HttpDeps) => {
  const limitsRule = queryLimitsRule(deps.limits ?? defaultQueryLimits);
  const yoga = createYoga<{ req: IncomingMessage; res: ServerResponse; viewer: Viewer; scope: RequestScope }>({
    schema: deps.schema,
    graphqlEndpoint: '/graphql',
    graphiql: false, // GraphiQL loads its assets from a CDN; this machine class may have no internet
    cors: false, // ours (cors.ts): off unless origins are configured, and preflights need no key
    landingPage: false,
    maskedErrors: true,
    logging: {
      debug: () => {}, info: () => {},
      warn: (...args: unknown[]) => deps.log.warn({ detail: args }, 'graphql warning'),
      error: (...args: unknown[]) => deps.log.error({ detail: args }, 'graphql error'),
    },
    context: ({ viewer, scope }) => deps.context(viewer, scope),
    plugins: [
      { onValidate: ({ addValidationRule }: { addValidationRule: (rule: typeof limitsRule) => void }) => addValidationRule(limitsRule) },
      {
        onExecute: ({ args }: { args: { operationName?: string | null; document: DocumentNode } }) => {
          const started = performance.now();
          const operation = args.document.definitions.find((d): d is OperationDefinitionNode =>
            d.kind === Kind.OPERATION_DEFINITION && (!args.operationName || d.name?.value === args.operationName));
          return {
            onExecuteDone: ({ result }: { result: unknown }) => {
              const errors = (result as { errors?: unknown[] } | null)?.errors;
              deps.onOperation?.({
                operation: operation?.name?.value ?? 'anonymous', type: operation?.operation ?? 'unknown',
                seconds: (performance.now() - started) / 1000, ok: !errors || errors.length === 0,
              });
            },
          };
        },
      },
    ],
  });

  const cors = createCors(deps.corsOrigins ?? []);
  const maxBody = deps.maxBodySize ?? DEFAULT_MAX_BODY;

  const graphql = async (req: IncomingMessage, res: ServerResponse) => {
    if (cors.preflight(req, res)) return;
    cors.apply(req, res);
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) return unauthenticated(res, 'authentication required: send Authorization: Bearer <api key>');
    const key = match[1]!;
    const viewer = await deps.authenticate(key);
    if (!viewer) return unauthenticated(res, 'invalid or revoked API key');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const read = await readBody(req, maxBody);
      if (read.kind === 'too-large') {
        // Refused before more is buffered. A few more MiB are discarded so that the client reads this answer, not a reset.
        const lingering = discardRest(req, LINGER_FACTOR * maxBody);
        return json(res, 413, { errors: [{ message: `request body larger than ${maxBody} bytes`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] },
          lingering ? {} : { connection: 'close' });
      }
      // graphql-yoga's Node adapter takes an already-read body from `req.body`
      (req as IncomingMessage & { body?: Buffer }).body = read.body;
    }
    const closed = new AbortController();
    res.once('close', () => closed.abort());
    const scope: RequestScope = { signal: closed.signal, stillAuthenticated: async () => (await deps.authenticate(key)) !== null };
    await yoga(req, res, { req, res, viewer, scope });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/graphql') return graphql(req, res);
    if (path === '/metrics' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': deps.registry.contentType });
      return res.end(await deps.registry.metrics());
    }
    if (path === '/healthz' && req.method === 'GET') {
      const checks = await deps.health();
      const ok = Object.values(checks).every(Boolean);
      return json(res, ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable', checks });
    }
    if (path === '/readyz' && req.method === 'GET') {
      const checks = await (deps.ready ?? deps.health)();
      const ok = Object.values(checks).every(Boolean);
      return json(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not ready', checks });
    }
    if (deps.dashboardDir && serveStatic(deps.dashboardDir, req, res)) return;
    json(res, 404, { error: 'not found' });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      deps.log.error({ err, url: req.url }, 'http request failed');
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.end();
    });
  });
  server.keepAliveTimeout = 5_000;

  return {
    listen: (port: number, host: string) => new Promise<{ port: number }>((resolve, reject) => {
      const onError = (err: Error) => reject(new Error(`HTTP server cannot listen on ${host}:${port}: ${err.message}`, { cause: err }));
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        const address = server.address();
        resolve({ port: typeof address === 'object' && address ? address.port : port });
      });
    }),
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 5_000).unref();
    }),
  };
};
