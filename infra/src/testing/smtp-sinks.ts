import type { Socket } from 'node:net';
import { generate } from 'selfsigned';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { freePort } from './free-port.js';

/** A reply the sink sends instead of accepting: `550 5.1.1 no such user`. */
export type SinkReply = Readonly<{ code: number; enhancedCode?: string | null; text: string }>;

export type SinkTls = Readonly<{ protocol: string; cipher: string }>;

export type ReceivedMessage = Readonly<{
  mailFrom: string;
  rcptTo: readonly string[];
  body: Buffer;
  /** `<session id>:<transaction number>`. */
  transactionId: string;
  sessionId: string;
  secure: boolean;
  tls: SinkTls | null;
  /** The AUTH user, if the client logged in. */
  user: string | null;
  remoteAddress: string;
  remotePort: number;
  /** The sink's port that received it. */
  localPort: number;
}>;

export type SinkSession = Readonly<{
  id: string; remoteAddress: string; remotePort: number; secure: boolean; tls: SinkTls | null;
  heloName: string; transactions: number; user: string | null;
}>;

/** Decides a reply for one command; null (or undefined) accepts. */
export type SinkDecision<Arg> = (arg: Arg, session: SinkSession) => SinkReply | null | undefined;

export type SmtpSinkOptions = Readonly<{
  /** Default 127.0.0.1; any loopback alias works. */
  host?: string;
  /** Default: a free port. */
  port?: number;
  /** Speak LMTP (RFC 2033): one reply per recipient after DATA, from `dataPerRecipient`. */
  lmtp?: boolean;
  /** Offer STARTTLS with a self-signed certificate made at start for `hostname` (default 'localhost'). */
  tls?: Readonly<{ hostname?: string }>;
  /** Answer MAIL FROM with 530 5.7.0 until the client used STARTTLS. */
  requireTls?: boolean;
  /** Require AUTH (PLAIN or LOGIN, only over TLS) with these credentials. */
  auth?: Readonly<{ user: string; pass: string }>;
  mailFrom?: SinkDecision<string>;
  rcptTo?: SinkDecision<string>;
  /** Decides the reply to the end of DATA (SMTP). */
  data?: SinkDecision<ReceivedMessage>;
  /** LMTP: the reply for each recipient after DATA. */
  dataPerRecipient?: (recipient: string, message: ReceivedMessage) => SinkReply | null | undefined;
  /** Destroy the socket once this many body bytes arrived (the message is not recorded). */
  dropDuringDataAfterBytes?: number;
}>;

export type SmtpSink = Readonly<{
  host: string;
  port: number;
  /** The PEM certificate (self-signed, so also the CA to trust) when `tls` was given. */
  certificate: Buffer | null;
  messages: readonly ReceivedMessage[];
  /** Every session opened so far (connections), in order. */
  sessions: readonly SinkSession[];
  waitForMessages(count: number, timeoutMs?: number): Promise<readonly ReceivedMessage[]>;
  close(): Promise<void>;
}>;

/** Answers with the given reply for the first `count` calls, then accepts: "451 to the first N RCPT, then 250". */
export const failFirst = <Arg>(count: number, reply: SinkReply): SinkDecision<Arg> => {
  let calls = 0;
  return () => (calls++ < count ? reply : null);
};

const replyError = (reply: SinkReply): Error =>
  Object.assign(new Error(reply.enhancedCode ? `${reply.enhancedCode} ${reply.text}` : reply.text), { responseCode: reply.code });

const tlsOf = (session: SMTPServerSession): SinkTls | null =>
  session.tlsOptions ? { protocol: session.tlsOptions.version ?? 'TLS', cipher: session.tlsOptions.name } : null;

const userOf = (session: SMTPServerSession): string | null => (typeof session.user === 'string' ? session.user : null);

const sessionOf = (s: SMTPServerSession): SinkSession => ({
  id: s.id, remoteAddress: s.remoteAddress, remotePort: s.remotePort, secure: s.secure, tls: tlsOf(s),
  heloName: s.hostNameAppearsAs, transactions: s.transaction, user: userOf(s),
});

const selfSignedCertificate = async (name: string) => {
  const pems = await generate([{ name: 'commonName', value: name }], { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' });
  return { key: pems.private, cert: pems.cert };
};

const readBody = (stream: SMTPServerDataStream, dropAfter: number | undefined, drop: () => void): Promise<Buffer | null> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (dropAfter !== undefined && size >= dropAfter) {
        drop();
        resolve(null);
      }
    });
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });

/**
 * A real smtp-server on loopback that records what it receives and answers as told. Reverse lookups are off; STARTTLS
 * is offered only with `tls`. smtp-server 3.21.6 waits a fixed 100 ms before each greeting (no option to turn it off).
 */
export const startSmtpSink = async (options: SmtpSinkOptions = {}): Promise<SmtpSink> => {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? await freePort();
  const pems = options.tls ? await selfSignedCertificate(options.tls.hostname ?? 'localhost') : null;
  const messages: ReceivedMessage[] = [];
  const sessions: SMTPServerSession[] = [];
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();
  const notify = () => { for (const check of [...waiters]) check(); };
  const decide = <Arg>(decision: SinkDecision<Arg> | undefined, arg: Arg, session: SMTPServerSession) => {
    const reply = decision?.(arg, sessionOf(session));
    return reply ? replyError(reply) : null;
  };
  const socketOf = (session: SMTPServerSession) =>
    [...sockets].find((s) => s.remotePort === session.remotePort && s.remoteAddress === session.remoteAddress);

  const onData = async (stream: SMTPServerDataStream, session: SMTPServerSession) => {
    const body = await readBody(stream, options.dropDuringDataAfterBytes, () => socketOf(session)?.destroy());
    if (body === null) return null;
    const message: ReceivedMessage = {
      mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
      rcptTo: session.envelope.rcptTo.map((r) => r.address), body,
      transactionId: `${session.id}:${session.transaction}`, sessionId: session.id, secure: session.secure, tls: tlsOf(session),
      user: userOf(session), remoteAddress: session.remoteAddress, remotePort: session.remotePort, localPort: session.localPort,
    };
    if (options.lmtp) {
      const replies = message.rcptTo.map((r) => options.dataPerRecipient?.(r, message) ?? null);
      if (replies.some((r) => r === null || r.code < 400)) messages.push(message);
      notify();
      return replies.map((r) => (r && r.code >= 400 ? replyError(r) : r ? `${r.enhancedCode ?? ''} ${r.text}`.trim() : '2.0.0 delivered'));
    }
    const refusal = decide(options.data, message, session);
    if (!refusal) messages.push(message);
    notify();
    return refusal ?? `2.0.0 Ok: queued as ${message.transactionId}`;
  };

  const server = new SMTPServer({
    lmtp: options.lmtp ?? false,
    disableReverseLookup: true,
    hideENHANCEDSTATUSCODES: true, // our replies carry their own enhanced code in the text
    // smtp-server answers STARTTLS with its bundled (expired) certificate even when hidden; without `tls` it refuses it.
    hideSTARTTLS: !pems,
    ...(pems ? {} : { disabledCommands: ['STARTTLS'] }),
    ...(pems ? { key: pems.key, cert: pems.cert } : {}),
    authOptional: !options.auth,
    ...(options.auth ? { authMethods: ['PLAIN', 'LOGIN'] } : {}),
    closeTimeout: 200,
    logger: false,
    onConnect(session, callback) {
      sessions.push(session);
      callback();
    },
    onAuth(auth, _session, callback) {
      const ok = options.auth && auth.username === options.auth.user && auth.password === options.auth.pass;
      callback(ok ? null : replyError({ code: 535, enhancedCode: '5.7.8', text: 'authentication failed' }), ok ? { user: auth.username } : undefined);
    },
    onMailFrom(address, session, callback) {
      if (options.requireTls && !session.secure) return callback(replyError({ code: 530, enhancedCode: '5.7.0', text: 'Must issue a STARTTLS command first' }));
      callback(decide(options.mailFrom, address.address, session));
    },
    onRcptTo(address, session, callback) {
      callback(decide(options.rcptTo, address.address, session));
    },
    onData(stream, session, callback) {
      onData(stream, session).then((result) => {
        if (result === null) return; // the socket is gone
        if (result instanceof Error) return callback(result);
        return Array.isArray(result) ? callback(null, result) : callback(null, result);
      }, (err: Error) => callback(err));
    },
  });
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  server.on('error', () => { /* client misbehaviour (dropped sockets) is expected in tests */ });

  return {
    host, port, certificate: pems ? Buffer.from(pems.cert) : null, messages,
    get sessions() { return sessions.map(sessionOf); },
    waitForMessages: (count, timeoutMs = 10_000) => new Promise((resolve, reject) => {
      const check = () => {
        if (messages.length < count) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(messages.slice());
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`sink got ${messages.length} of ${count} messages in ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.add(check);
      check();
    }),
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
};
