import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createCors } from './cors.js';

const exchange = (method: string, headers: Record<string, string>) => {
  const req = new IncomingMessage(new Socket());
  req.method = method;
  req.headers = headers;
  return { req, res: new ServerResponse(req) };
};
const preflightHeaders = { origin: 'https://dash.example.org', 'access-control-request-method': 'POST' };

describe('CORS', () => {
  it('is off by default: no headers, and a preflight is left to authentication', () => {
    const cors = createCors([]);
    const { req, res } = exchange('OPTIONS', preflightHeaders);
    expect(cors.preflight(req, res)).toBe(false);
    expect(cors.apply(req, res)).toBe(false);
    expect(res.getHeaderNames()).toEqual([]);
  });

  it('echoes only a listed origin and answers its preflight', () => {
    const cors = createCors(['https://dash.example.org']);
    const listed = exchange('OPTIONS', preflightHeaders);
    expect(cors.preflight(listed.req, listed.res)).toBe(true);
    expect(listed.res.statusCode).toBe(204);
    expect(listed.res.getHeader('access-control-allow-origin')).toBe('https://dash.example.org');
    const other = exchange('POST', { origin: 'https://dash.example.org.evil.test' });
    expect(cors.apply(other.req, other.res)).toBe(false);
    expect(other.res.getHeader('access-control-allow-origin')).toBeUndefined();
    expect(other.res.getHeader('vary')).toBe('Origin');
  });
});
