import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import {
  asSessionId, authAttempted, commandRejected, mailboxProblem, messageRejected, recipientRejected, senderRejected, sessionEnded, sessionStarted,
  type BlobStore, type EventStore, type RoutingPolicy, type SmtpReply,
} from '@elemta/domain';
import { acceptMessage, type AcceptDeps } from './accept-message.js';
import { receivedHeader } from './received-header.js';
import { SessionRecorder } from './session-recorder.js';
import { decideAuth, type AuthDeps, type AuthPolicy } from './smtp-auth.js';
import { observeRejections, smtpError, useOwnEnhancedStatusCodes, type LibraryRejection } from './smtp-replies.js';

export type ListenerConfig = Readonly<{
  name: string;
  role: 'mx' | 'submission';
  host: string;
  port: number;
  maxMessageSize: number;
  maxRecipients: number;
  socketTimeoutMs: number;
  closeTimeoutMs: number;
  disableReverseLookup: boolean;
  /** AUTH rules of a submission listener (TLS requirement, failure throttle). */
  auth?: AuthPolicy;
}>;

type Log = {
  info: (obj: object, msg: string) => void; warn: (obj: object, msg: string) => void;
  error: (obj: object, msg: string) => void; debug: (obj: object, msg: string) => void;
};
type Counter = { inc: (labels: Record<string, string | number>, value?: number) => void };
type Gauge = { inc: (labels: Record<string, string>) => void; dec: (labels: Record<string, string>) => void };

export type ListenerDeps = Readonly<{
  store: EventStore;
  blobs: BlobStore;
  routing: RoutingPolicy;
  inlineBodies?: AcceptDeps['inlineBodies'];
  log: Log;
  metrics: { smtpSessions: Counter; smtpSessionsActive: Gauge; messagesAccepted: Counter; messagesRejected: Counter; smtpAuth: Counter };
  /** Users and failure counts for AUTH; without them every attempt is refused. */
  auth?: AuthDeps;
  node: string;
  hostname: string;
  newId: () => string;
  now: () => Date;
}>;

type Context = {
  recorder: SessionRecorder;
  counts: { messagesAccepted: number; messagesRejected: number; recipientsRejected: number };
  ended: boolean;
};

const reply = (code: number, enhancedCode: string, text: string, command: string): SmtpReply => ({ code, enhancedCode, text, command });
const tlsOf = (session: SMTPServerSession) =>
  session.tlsOptions ? { protocol: session.tlsOptions.version ?? 'TLS', cipher: session.tlsOptions.name } : null;
const clientOf = (session: SMTPServerSession) => ({
  address: session.remoteAddress,
  port: session.remotePort,
  reverseDns: session.clientHostname && !session.clientHostname.startsWith('[') ? session.clientHostname : null,
  helo: session.hostNameAppearsAs || null,
});

/**
 * One SMTP listener on smtp-server. A message is answered `250 2.0.0 Ok: queued as <id>` only after its body is
 * stored and its events are appended (acceptMessage); session events go to `session-<id>` as they happen.
 * `close()` stops accepting connections, lets sessions in progress finish (up to closeTimeoutMs), then waits for
 * every session event to be appended.
 */
export const createInboundListener = (config: ListenerConfig, deps: ListenerDeps) => {
  useOwnEnhancedStatusCodes();
  const contexts = new Map<string, Context>();
  const pending = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p);
    void p.finally(() => pending.delete(p)).catch(() => {});
    return p;
  };
  const labels = { listener: config.name };
  const log = deps.log;

  const contextOf = (session: SMTPServerSession): Context => {
    let ctx = contexts.get(session.id);
    if (!ctx) {
      const sessionId = asSessionId(deps.newId());
      ctx = {
        recorder: new SessionRecorder(deps.store, sessionId, {
          correlationId: sessionId, causationId: null, actor: `smtp:${session.remoteAddress}`, node: deps.node,
        }, log),
        counts: { messagesAccepted: 0, messagesRejected: 0, recipientsRejected: 0 },
        ended: false,
      };
      contexts.set(session.id, ctx);
    }
    return ctx;
  };

  const endSession = (session: SMTPServerSession, reason: 'quit' | 'closed' | 'timeout' | 'error' | 'shutdown') => {
    const ctx = contexts.get(session.id);
    if (!ctx || ctx.ended) return;
    ctx.ended = true;
    contexts.delete(session.id);
    deps.metrics.smtpSessionsActive.dec(labels);
    ctx.recorder.record(sessionEnded({
      sessionId: ctx.recorder.sessionId, listener: config.name, endedAt: deps.now().toISOString(), reason,
      helo: session.hostNameAppearsAs || null, tls: tlsOf(session), counts: { ...ctx.counts },
    }));
    track(ctx.recorder.flush());
  };

  const server = new SMTPServer({
    name: deps.hostname,
    banner: 'Elemta ESMTP',
    size: config.maxMessageSize,
    rejectOversized: true,
    hideENHANCEDSTATUSCODES: false,
    hideDSN: true,
    disabledCommands: config.role === 'mx' ? ['AUTH', 'STARTTLS'] : ['STARTTLS'],
    authOptional: config.role === 'mx',
    authMethods: ['PLAIN', 'LOGIN'],
    disableReverseLookup: config.disableReverseLookup,
    socketTimeout: config.socketTimeoutMs,
    closeTimeout: config.closeTimeoutMs,
    logger: false,

    onConnect(session, callback) {
      const ctx = contextOf(session);
      deps.metrics.smtpSessions.inc(labels);
      deps.metrics.smtpSessionsActive.inc(labels);
      ctx.recorder.record(sessionStarted({
        sessionId: ctx.recorder.sessionId, listener: config.name, client: clientOf(session),
        localAddress: session.localAddress, localPort: session.localPort, tls: tlsOf(session), startedAt: deps.now().toISOString(),
      }));
      callback();
    },

    onAuth(auth, session, callback) {
      track(authenticate(auth.method, auth.username ?? '', auth.password ?? '', session)).then(async (result) => {
        if (typeof result === 'string') return callback(null, { user: result });
        // held back after it is recorded, outside `track`: a shutdown need not wait for a throttled client
        if (result.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, result.delayMs));
        callback(result.error);
      }, (err: Error) => callback(err));
    },

    onMailFrom(address, session, callback) {
      const ctx = contextOf(session);
      const sender = address.address;
      const problem = sender === '' ? null : mailboxProblem(sender, { utf8: address.args !== false && 'SMTPUTF8' in address.args });
      if (problem) {
        const r = reply(501, '5.1.7', `Bad sender address syntax: ${problem}`, 'MAIL');
        ctx.recorder.record(senderRejected({ sessionId: ctx.recorder.sessionId, address: sender, reply: r, reason: problem, at: deps.now().toISOString() }));
        return callback(smtpError(r.code, r.enhancedCode!, r.text));
      }
      callback();
    },

    onRcptTo(address, session, callback) {
      const ctx = contextOf(session);
      const utf8 = session.envelope.mailFrom !== false && session.envelope.mailFrom.args !== false && 'SMTPUTF8' in session.envelope.mailFrom.args;
      const problem = mailboxProblem(address.address, { utf8 });
      let r: SmtpReply | null = null;
      if (problem) r = reply(501, '5.1.3', `Bad recipient address syntax: ${problem}`, 'RCPT');
      else if (session.envelope.rcptTo.length >= config.maxRecipients) r = reply(452, '4.5.3', 'Too many recipients', 'RCPT');
      if (r) {
        ctx.counts.recipientsRejected++;
        ctx.recorder.record(recipientRejected({ sessionId: ctx.recorder.sessionId, address: address.address, reply: r, reason: problem ?? 'recipient limit reached', at: deps.now().toISOString() }));
        return callback(smtpError(r.code, r.enhancedCode!, r.text));
      }
      callback();
    },

    onData(stream, session, callback) {
      track(receive(stream, session)).then((text) => callback(null, text), (err: Error) => callback(err));
    },

    onClose(session) {
      endSession(session, 'closed');
    },
  });

  /**
   * One AUTH attempt: decided by decideAuth, recorded as AuthAttempted (mechanism, user, outcome; never the
   * password) and counted. Resolves with the user name, or with the SMTP reply and how long to hold it back.
   */
  const authenticate = async (
    mechanism: string, username: string, password: string, session: SMTPServerSession,
  ): Promise<string | { error: Error; delayMs: number }> => {
    const ctx = contextOf(session);
    const policy = config.auth ?? { allowInsecureAuth: false, maxFailures: 10, failureDelayMs: 1000 };
    const decision = deps.auth
      ? await decideAuth(deps.auth, policy, { username, password, remoteAddress: session.remoteAddress, secure: session.secure })
      : { outcome: 'failure' as const, code: 535, enhancedCode: '5.7.8', text: 'Authentication credentials invalid', delayMs: 0, cause: undefined };
    const user = username.slice(0, 256);
    ctx.recorder.record(authAttempted({
      sessionId: ctx.recorder.sessionId, mechanism, user, outcome: decision.outcome === 'success' ? 'success' : 'failure', at: deps.now().toISOString(),
    }));
    deps.metrics.smtpAuth.inc({ listener: config.name, outcome: decision.outcome });
    const fields = { sessionId: ctx.recorder.sessionId, user, mechanism, client: session.remoteAddress, outcome: decision.outcome };
    if (decision.outcome === 'success') {
      log.info(fields, 'authenticated');
      return decision.user;
    }
    if (decision.outcome === 'error') log.error({ ...fields, err: decision.cause }, 'authentication failed: user store unavailable');
    else log.info(fields, 'authentication refused');
    return { error: smtpError(decision.code, decision.enhancedCode, decision.text), delayMs: decision.delayMs };
  };

  const receive = async (stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> => {
    const ctx = contextOf(session);
    const messageId = deps.newId();
    const now = deps.now();
    const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
    const rcptTo = session.envelope.rcptTo.map((r) => r.address);
    const trace = receivedHeader({
      helo: session.hostNameAppearsAs || null, reverseDns: clientOf(session).reverseDns, clientAddress: session.remoteAddress,
      hostname: deps.hostname, protocol: session.transmissionType as 'ESMTP', id: messageId,
      recipient: rcptTo.length === 1 ? rcptTo[0]! : null, date: now,
    });
    const chunks: Buffer[] = [Buffer.from(trace)];
    let size = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (!stream.sizeExceeded) chunks.push(chunk); // past the limit the rest is read and dropped
    }
    if (stream.sizeExceeded) {
      ctx.counts.messagesRejected++;
      deps.metrics.messagesRejected.inc({ listener: config.name, code: 552 });
      const r = reply(552, '5.3.4', `Message size exceeds fixed maximum message size ${config.maxMessageSize}`, 'DATA');
      ctx.recorder.record(messageRejected({ sessionId: ctx.recorder.sessionId, mailFrom, rcptTo, sizeBytes: size, reply: r, reason: 'size limit', at: now.toISOString() }));
      throw smtpError(r.code, r.enhancedCode!, r.text);
    }
    const params = session.envelope.mailFrom && session.envelope.mailFrom.args
      ? Object.fromEntries(Object.entries(session.envelope.mailFrom.args).map(([k, v]) => [k, String(v)])) : {};
    try {
      await acceptMessage({ store: deps.store, blobs: deps.blobs, routing: deps.routing, ...(deps.inlineBodies ? { inlineBodies: deps.inlineBodies } : {}) }, {
        messageId, sessionId: ctx.recorder.sessionId, body: Buffer.concat(chunks), mailFrom, rcptTo, params,
        client: clientOf(session), listener: config.name, authUser: session.user ?? null, tls: tlsOf(session),
        actor: `smtp:${session.remoteAddress}`, node: deps.node, now,
      });
    } catch (err) {
      const e = err as Error & { responseCode: number; cause?: unknown };
      log.error({ err: e.cause ?? e, sessionId: ctx.recorder.sessionId }, 'message not accepted');
      ctx.counts.messagesRejected++;
      deps.metrics.messagesRejected.inc({ listener: config.name, code: e.responseCode });
      const [enhanced, ...text] = e.message.split(' ');
      ctx.recorder.record(messageRejected({
        sessionId: ctx.recorder.sessionId, mailFrom, rcptTo, sizeBytes: size,
        reply: reply(e.responseCode, enhanced ?? '4.3.0', text.join(' '), 'DATA'), reason: String((e.cause as Error | undefined)?.message ?? e.message), at: now.toISOString(),
      }));
      throw e;
    }
    ctx.counts.messagesAccepted++;
    deps.metrics.messagesAccepted.inc(labels);
    log.debug({ messageId, sessionId: ctx.recorder.sessionId, size }, 'message accepted');
    return `Ok: queued as ${messageId}`;
  };

  /** Records the refusals smtp-server makes itself (malformed commands, bad sequence, limits). */
  const recordLibraryRejection = (session: SMTPServerSession, r: LibraryRejection) => {
    const ctx = contexts.get(session.id);
    if (!ctx || r.context === 'MESSAGE_TOO_BIG') return; // DATA outcomes are recorded by receive()
    const sessionId = ctx.recorder.sessionId;
    const at = deps.now().toISOString();
    const smtpReply = reply(r.code, r.enhancedCode ?? `${String(r.code)[0]}.0.0`, r.text, r.verb);
    const address = (prefix: string) => new RegExp(`^${prefix}:\\s*<?([^>\\s]*)>?`, 'i').exec(r.argument)?.[1] ?? r.argument;
    if (r.code !== 421 && r.verb === 'MAIL') {
      ctx.recorder.record(senderRejected({ sessionId, address: address('FROM'), reply: smtpReply, reason: r.text, at }));
    } else if (r.code !== 421 && r.verb === 'RCPT') {
      ctx.counts.recipientsRejected++;
      ctx.recorder.record(recipientRejected({ sessionId, address: address('TO'), reply: smtpReply, reason: r.text, at }));
    } else {
      ctx.recorder.record(commandRejected({ sessionId, command: `${r.verb} ${r.argument}`.trim(), reply: smtpReply, at }));
    }
  };
  observeRejections(server, recordLibraryRejection);

  server.on('error', (err) => log.warn({ err, listener: config.name }, 'smtp listener error'));

  return {
    name: config.name,
    listen: () => new Promise<{ port: number }>((resolve, reject) => {
      const onError = (err: Error) => reject(new Error(`SMTP listener ${config.name} cannot listen on ${config.host}:${config.port}: ${err.message}`, { cause: err }));
      server.server.once('error', onError);
      server.listen(config.port, config.host, () => {
        server.server.off('error', onError);
        const address = server.server.address();
        resolve({ port: typeof address === 'object' && address ? address.port : config.port });
      });
    }),
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const [id, ctx] of contexts) if (!ctx.ended) endSession({ id } as SMTPServerSession, 'shutdown');
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    activeSessions: () => contexts.size,
  };
};

export type InboundListener = ReturnType<typeof createInboundListener>;
