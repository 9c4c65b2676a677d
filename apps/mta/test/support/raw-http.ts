import { request } from 'node:http';

/**
 * POSTs a body to /graphql with an API key, with a Content-Length or chunked in 64 KiB pieces, the way a client
 * uploading a large request does: it stops sending as soon as an answer arrives (a 413 may come mid-body).
 */
export const postGraphqlBody = (port: number, key: string, body: string, chunked: boolean) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
    if (!chunked) headers['content-length'] = String(Buffer.byteLength(body));
    const req = request({ host: '127.0.0.1', port, path: '/graphql', method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => { text += c; }).on('end', () => {
        if (!req.writableFinished) req.destroy(); // refused mid-body: stop sending
        resolve({ status: res.statusCode ?? 0, body: text });
      });
    });
    let answered = false;
    req.on('response', () => { answered = true; });
    req.on('error', (err) => { if (!answered) reject(err); });
    const bytes = Buffer.from(body);
    const write = (offset: number): void => {
      if (answered || req.destroyed) return;
      if (offset >= bytes.length) { req.end(); return; }
      req.write(bytes.subarray(offset, offset + 64 * 1024), (err) => { if (!err) setImmediate(() => write(offset + 64 * 1024)); });
    };
    write(0);
  });
