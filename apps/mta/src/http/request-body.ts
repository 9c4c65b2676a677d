import type { IncomingMessage } from 'node:http';

export type BodyResult = Readonly<{ kind: 'ok'; body: Buffer }> | Readonly<{ kind: 'too-large' }>;

/**
 * Reads a request body of at most `maxBytes`, chunked or not. A declared Content-Length over the limit is refused
 * before a byte is read; a body that grows past it stops being read at the chunk that crosses it (the stream is
 * paused, so nothing more is buffered; the caller answers 413 and closes the connection).
 */
export const readBody = (req: IncomingMessage, maxBytes: number): Promise<BodyResult> => {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve({ kind: 'too-large' });
  return new Promise<BodyResult>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (result: BodyResult) => {
      req.off('data', onData).off('end', onEnd).off('error', onError);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.pause();
        done({ kind: 'too-large' });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => done({ kind: 'ok', body: Buffer.concat(chunks, size) });
    const onError = (err: Error) => {
      req.off('data', onData).off('end', onEnd);
      reject(err);
    };
    req.on('data', onData).on('end', onEnd).on('error', onError);
  });
};

/**
 * After a refusal, before answering it: whether to keep the connection long enough for the client to read the
 * answer. Closing at once would make the kernel reset a connection with unread data, and a client still sending
 * would often see the reset instead of the 413. So what the client still sends is discarded (never buffered), up to
 * `maxBytes` or for `ms`, whichever comes first, then the connection is dropped (the "lingering close" of other
 * servers). Returns false, discarding nothing, when the declared Content-Length already says more than `maxBytes` is
 * coming: the answer must then say `Connection: close`.
 */
export const discardRest = (req: IncomingMessage, maxBytes: number, ms = 2000): boolean => {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) return false;
  let discarded = 0;
  const drop = () => {
    clearTimeout(timer);
    req.socket.destroy();
  };
  const timer = setTimeout(drop, ms);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > maxBytes) drop();
  }).on('end', () => clearTimeout(timer)).on('error', () => clearTimeout(timer));
  req.resume();
  return true;
};
