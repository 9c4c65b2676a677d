import type { SecureContextOptions } from 'node:tls';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import {
  asSessionId, authAttempted, commandRejected, mailboxProblem, messageRejected, policyEvaluatedEvents, recipientRejected, senderRejected,
  sessionEnded, sessionStarted,
  type BlobStore, type Evaluation, type EventStore, type RoutingPolicy, type SmtpReply, type StageOutcome,
} from '@elemta/domain';
import type { SessionView, StageArgs, TransactionView } from '../policy/plugin-api.js';
import { isRefusal, runContentStages, splitAuthentication } from '../policy/content-stages.js';
import type { PolicyPipeline } from '../policy/pipeline.js';
import { acceptMessage, type AcceptDeps } from './accept-message.js';
import { receivedHeader } from './received-header.js';
import type { RelayControl } from './relay-control.js';
import { SessionRecorder } from './session-recorder.js';
import { decideAuth, type AuthDeps, type AuthPolicy } from './smtp-auth.js';
import { installCommandGuard } from './command-guard.js';
import { observeRejections, smtpError, useOwnEnhancedStatusCodes, type LibraryRejection } from './smtp-replies.js';

export type ListenerRole = 'mx' | 'submission' | 'smtps';

export type ListenerConfig = Readonly<{
  name: string;
  role: ListenerRole;
  host: string;
  port: number;
  maxMessageSize: number;
  maxRecipients: number;
  maxMessagesPerSession: number;
  maxConnections: number;
  maxConnectionsPerIp: number;
  socketTimeoutMs: number;
  sessionTimeoutMs: number;
  closeTimeoutMs: number;
  disableReverseLookup: boolean;
  /** Offer STARTTLS (mx, submission); needs `tls`. */
  starttls: boolean;
  /** Certificate and protocol settings; null: no TLS at all (then smtps cannot run). */
  tls: Readonly<{ key: string; cert: string; options: SecureContextOptions }> | null;
  /** AUTH rules (TLS requirement, failure throttle); AUTH is offered on submission and smtps only. */
  auth?: AuthPolicy;
}>;

type Log = {
  info: (obj: object, msg: string) => void; warn: (obj: object, msg: string) => void;
  error: (obj: object, msg: string) => void; debug: (obj: object, msg: string) => void;
  child?: (bindings: object) => Log;
};
type Counter = { inc: (labels: Record<string, string | number>, value?: number) => void };
type Gauge = { inc: (labels: Record<string, string>) => void; dec: (labels: Record<string, string>) => void };

export type ListenerDeps = Readonly<{
  store: EventStore;
  blobs: BlobStore;
  routing: RoutingPolicy;
  inlineBodies?: AcceptDeps['inlineBodies'];
  log: Log;
  metrics: {
    smtpSessions: Counter; smtpSessionsActive: Gauge; messagesAccepted: Counter; messagesRejected: Counter; smtpAuth: Counter;
    smtpTlsSessions: Counter; smtpConnectionsRefused: Counter;
  };
  /** Users and failure counts for AUTH; without them every attempt is refused. */
  auth?: AuthDeps;
  pipeline: PolicyPipeline;
  relay: RelayControl;
  node: string;
  hostname: string;
  newId: () => string;
  now: () => Date;
}>;

type Transaction = {
  annotations: Record<string, string>;
  quarantine: { plugin: string; reason: string } | null;
};

type Context = {
  recorder: SessionRecorder;
  counts: { messagesAccepted: number; messagesRejected: number; recipientsRejected: number };
  ended: boolean;
  /** This session holds one of its client IP's connection slots. */
  holdsIpSlot: boolean;
  /** The client is in the relay networks (decided once per connection). */
  trusted: boolean;
  /** Annotations of connect-, helo- and auth-stage plugins, for every transaction of the session. */
  sessionAnnotations: Record<string, string>;
  /** A quarantine verdict of the connect, helo or auth stage: every message of the session is held. */
  sessionQuarantine: Transaction['quarantine'];
  /** The helo stage runs once per EHLO/HELO name, at the first MAIL FROM after it (smtp-server has no HELO hook). */
  heloChecked: string | null;
  transaction: Transaction;
  sessionTimer: NodeJS.Timeout | null;
  abort: AbortController;
};

const reply = (code: number, enhancedCode: string, text: string, command: string): SmtpReply => ({ code, enhancedCode, text, command });
/** smtp-server sets `user` to false after STARTTLS; only a string is a logged-in user. */
const userOf = (session: SMTPServerSession): string | null => (typeof session.user === 'string' ? session.user : null);
const tlsOf = (session: SMTPServerSession) =>
  session.tlsOptions ? { protocol: session.tlsOptions.version ?? 'TLS', cipher: session.tlsOptions.name } : null;
const clientOf = (session: SMTPServerSession) => ({
  address: session.remoteAddress,
  port: session.remotePort,
  reverseDns: session.clientHostname && !session.clientHostname.startsWith('[') ? session.clientHostname : null,
  helo: session.hostNameAppearsAs || null,
});
const newTransaction = (): Transaction => ({ annotations: {}, quarantine: null });

/**
 * One SMTP listener on smtp-server. A message is answered `250 2.0.0 Ok: queued as <id>` only after its body is
 * stored and its events are appended (acceptMessage); session events go to `session-<id>` as they happen.
 * Every stage runs the policy pipeline; verdicts other than `continue` are recorded as PolicyEvaluated (in the
 * session stream, or with the message for the data and queue stages of an accepted message).
 * `close()` stops accepting connections, lets sessions in progress finish (up to closeTimeoutMs), then waits for
 * every session event to be appended.
 */
export const createInboundListener = (config: ListenerConfig, deps: ListenerDeps) => {
  installCommandGuard(); // first: the reply recording below wraps it, so its refusals are recorded too
  useOwnEnhancedStatusCodes();
  if (config.role === 'smtps' && !config.tls) throw new Error(`listener ${config.name}: smtps needs a TLS certificate`);
  const contexts = new Map<string, Context>();
  const connectionsPerIp = new Map<string, number>();
  const pending = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p);
    void p.finally(() => pending.delete(p)).catch(() => {});
    return p;
  };
  const labels = { listener: config.name };
  const log = deps.log;
  const requiresAuth = config.role !== 'mx';
  const offersStarttls = config.role !== 'smtps' && config.starttls && config.tls !== null;

  const contextOf = (session: SMTPServerSession): Context => {
    let ctx = contexts.get(session.id);
    if (!ctx) {
      const sessionId = asSessionId(deps.newId());
      ctx = {
        recorder: new SessionRecorder(deps.store, sessionId, {
          correlationId: sessionId, causationId: null, actor: `smtp:${session.remoteAddress}`, node: deps.node,
        }, log),
        counts: { messagesAccepted: 0, messagesRejected: 0, recipientsRejected: 0 },
        ended: false, holdsIpSlot: false, trusted: deps.relay.trusted(session.remoteAddress), sessionAnnotations: {}, sessionQuarantine: null, heloChecked: null, transaction: newTransaction(),
        sessionTimer: null, abort: new AbortController(),
      };
      contexts.set(session.id, ctx);
    }
    return ctx;
  };

  const sessionView = (session: SMTPServerSession, ctx: Context): SessionView => ({
    id: ctx.recorder.sessionId, listener: config.name, role: config.role,
    client: clientOf(session), localAddress: session.localAddress, localPort: session.localPort,
    tls: tlsOf(session), authUser: userOf(session),
    trustedNetwork: ctx.trusted, messageCount: ctx.counts.messagesAccepted,
  });

  const transactionView = (session: SMTPServerSession): TransactionView | null => {
    const from = session.envelope.mailFrom;
    if (!from) return null;
    return {
      mailFrom: from.address,
      params: from.args ? Object.fromEntries(Object.entries(from.args).map(([k, v]) => [k, String(v)])) : {},
      rcptTo: session.envelope.rcptTo.map((r) => r.address),
    };
  };

  /** Session-stream events for verdicts at stages before a message exists. */
  const recordEvaluations = (ctx: Context, evaluations: readonly Evaluation[], messageId: string | null = null) => {
    for (const event of policyEvaluatedEvents(evaluations, { sessionId: ctx.recorder.sessionId, messageId, at: deps.now().toISOString() })) {
      ctx.recorder.record(event);
    }
  };

  /**
   * Runs a pre-data stage and records its verdicts. Resolves with the error to answer (reject, tempfail) or null;
   * a quarantine verdict marks the transaction; annotations go to the session or the transaction.
   */
  const runStage = async <S extends 'connect' | 'helo' | 'auth' | 'mail' | 'rcpt'>(
    stage: S, session: SMTPServerSession, ctx: Context, args: StageArgs[S],
  ): Promise<Error | null> => {
    if (!deps.pipeline.hooks(stage, config.name)) return null;
    const outcome = await deps.pipeline.run(stage, {
      listener: config.name, session: sessionView(session, ctx), transaction: transactionView(session), args,
      annotations: { ...ctx.sessionAnnotations, ...ctx.transaction.annotations }, signal: ctx.abort.signal,
    });
    recordEvaluations(ctx, outcome.evaluations);
    const perTransaction = stage === 'mail' || stage === 'rcpt';
    Object.assign(perTransaction ? ctx.transaction.annotations : ctx.sessionAnnotations, outcome.annotations);
    if (outcome.verdict === 'quarantine') {
      const quarantine = { plugin: outcome.decidedBy!, reason: outcome.reason ?? 'quarantined' };
      if (perTransaction) ctx.transaction.quarantine ??= quarantine;
      else ctx.sessionQuarantine ??= quarantine;
    }
    return refusal(outcome);
  };

  const refusal = (outcome: StageOutcome): Error | null =>
    isRefusal(outcome) ? smtpError(outcome.reply.code, outcome.reply.enhancedCode ?? `${String(outcome.reply.code)[0]}.7.1`, outcome.reply.text) : null;

  const endSession = (session: SMTPServerSession, reason: 'quit' | 'closed' | 'timeout' | 'error' | 'shutdown') => {
    const ctx = contexts.get(session.id);
    if (!ctx || ctx.ended) return;
    ctx.ended = true;
    contexts.delete(session.id);
    ctx.abort.abort(new Error('session ended'));
    if (ctx.sessionTimer) clearTimeout(ctx.sessionTimer);
    if (ctx.holdsIpSlot) {
      const left = (connectionsPerIp.get(session.remoteAddress) ?? 1) - 1;
      if (left <= 0) connectionsPerIp.delete(session.remoteAddress);
      else connectionsPerIp.set(session.remoteAddress, left);
    }
    deps.metrics.smtpSessionsActive.dec(labels);
    ctx.recorder.record(sessionEnded({
      sessionId: ctx.recorder.sessionId, listener: config.name, endedAt: deps.now().toISOString(), reason,
      helo: session.hostNameAppearsAs || null, tls: tlsOf(session), counts: { ...ctx.counts },
    }));
    track(ctx.recorder.flush());
  };

  /** Closes a session from our side with 421 (RFC 5321 §3.8), e.g. when its time is up. */
  const closeWith421 = (session: SMTPServerSession, text: string) => {
    for (const connection of server.connections as Set<{ id: string; send: (code: number, data: string) => void }>) {
      if (connection.id === session.id) return connection.send(421, `4.4.2 ${deps.hostname} ${text}`);
    }
  };

  const server = new SMTPServer({
    name: deps.hostname,
    banner: 'Elemta ESMTP',
    size: config.maxMessageSize,
    rejectOversized: true,
    hideENHANCEDSTATUSCODES: false,
    hideDSN: true,
    secure: config.role === 'smtps',
    ...(config.tls ? { key: config.tls.key, cert: config.tls.cert, ...config.tls.options } : {}),
    disabledCommands: [...(requiresAuth ? [] : ['AUTH']), ...(offersStarttls ? [] : ['STARTTLS'])],
    authOptional: !requiresAuth,
    allowInsecureAuth: config.auth?.allowInsecureAuth ?? false,
    authMethods: ['PLAIN', 'LOGIN'],
    disableReverseLookup: config.disableReverseLookup,
    maxClients: config.maxConnections,
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
      const open = connectionsPerIp.get(session.remoteAddress) ?? 0;
      if (open >= config.maxConnectionsPerIp) {
        deps.metrics.smtpConnectionsRefused.inc({ listener: config.name, reason: 'max_connections_per_ip' });
        const r = reply(421, '4.7.0', `${deps.hostname} Too many connections from your address, try again later`, 'CONNECT');
        ctx.recorder.record(commandRejected({ sessionId: ctx.recorder.sessionId, command: 'CONNECT', reply: r, at: deps.now().toISOString() }));
        return callback(smtpError(r.code, r.enhancedCode!, r.text));
      }
      connectionsPerIp.set(session.remoteAddress, open + 1);
      ctx.holdsIpSlot = true;
      ctx.sessionTimer = setTimeout(() => closeWith421(session, 'Session time limit exceeded, closing connection'), config.sessionTimeoutMs);
      ctx.sessionTimer.unref();
      runStage('connect', session, ctx, {}).then((err) => callback(err ?? undefined), (err: Error) => callback(err));
    },

    onSecure(socket, session, callback) {
      const protocol = 'getProtocol' in socket && typeof socket.getProtocol === 'function' ? socket.getProtocol() ?? 'unknown' : 'unknown';
      deps.metrics.smtpTlsSessions.inc({ listener: config.name, protocol });
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
      ctx.transaction = newTransaction();
      const sender = address.address;
      if (ctx.counts.messagesAccepted >= config.maxMessagesPerSession) {
        const r = reply(421, '4.7.0', `${deps.hostname} Too many messages in this session, closing connection`, 'MAIL');
        ctx.recorder.record(senderRejected({ sessionId: ctx.recorder.sessionId, address: sender, reply: r, reason: 'message limit of the session reached', at: deps.now().toISOString() }));
        return callback(smtpError(r.code, r.enhancedCode!, r.text));
      }
      const problem = sender === '' ? null : mailboxProblem(sender, { utf8: address.args !== false && 'SMTPUTF8' in address.args });
      if (problem) {
        const r = reply(501, '5.1.7', `Bad sender address syntax: ${problem}`, 'MAIL');
        ctx.recorder.record(senderRejected({ sessionId: ctx.recorder.sessionId, address: sender, reply: r, reason: problem, at: deps.now().toISOString() }));
        return callback(smtpError(r.code, r.enhancedCode!, r.text));
      }
      const params = address.args ? Object.fromEntries(Object.entries(address.args).map(([k, v]) => [k, String(v)])) : {};
      const helo = session.hostNameAppearsAs || '';
      const checks = async () => {
        if (ctx.heloChecked !== helo) {
          ctx.heloChecked = helo;
          const refused = await runStage('helo', session, ctx, { hostname: helo });
          if (refused) return refused;
        }
        // the envelope holds this sender only after the callback: the mail stage sees it in its arguments
        return runStage('mail', session, ctx, { address: sender, params });
      };
      checks().then((err) => {
        if (err) ctx.recorder.record(senderRejected({ sessionId: ctx.recorder.sessionId, address: sender, reply: replyOf(err, 'MAIL'), reason: 'policy', at: deps.now().toISOString() }));
        callback(err ?? undefined);
      }, (err: Error) => callback(err));
    },

    onRcptTo(address, session, callback) {
      const ctx = contextOf(session);
      const utf8 = session.envelope.mailFrom !== false && session.envelope.mailFrom.args !== false && 'SMTPUTF8' in session.envelope.mailFrom.args;
      const problem = mailboxProblem(address.address, { utf8 });
      let r: SmtpReply | null = null;
      let reason: string = problem ?? '';
      if (problem) r = reply(501, '5.1.3', `Bad recipient address syntax: ${problem}`, 'RCPT');
      else if (session.envelope.rcptTo.length >= config.maxRecipients) {
        r = reply(452, '4.5.3', 'Too many recipients', 'RCPT');
        reason = 'recipient limit reached';
      } else if (config.role === 'mx' && userOf(session) === null && !ctx.trusted && !deps.relay.acceptsFromAnyone(address.address)) {
        // Postfix's reject_unauth_destination: the reply names the recipient; 554 5.7.1 as Postfix answers it.
        r = reply(554, '5.7.1', `<${address.address}>: Relay access denied`, 'RCPT');
        reason = 'relay access denied';
        recordEvaluations(ctx, [{ plugin: 'relay-control', stage: 'rcpt', verdict: 'reject', reply: r, reason: `relay to ${address.address} from ${session.remoteAddress} denied` }]);
      }
      if (r) {
        ctx.counts.recipientsRejected++;
        ctx.recorder.record(recipientRejected({ sessionId: ctx.recorder.sessionId, address: address.address, reply: r, reason, at: deps.now().toISOString() }));
        return callback(smtpError(r.code, r.enhancedCode!, r.text));
      }
      runStage('rcpt', session, ctx, { address: address.address }).then((err) => {
        if (err) {
          ctx.counts.recipientsRejected++;
          ctx.recorder.record(recipientRejected({ sessionId: ctx.recorder.sessionId, address: address.address, reply: replyOf(err, 'RCPT'), reason: 'policy', at: deps.now().toISOString() }));
        }
        callback(err ?? undefined);
      }, (err: Error) => callback(err));
    },

    onData(stream, session, callback) {
      track(receive(stream, session)).then((text) => callback(null, text), (err: Error) => callback(err));
    },

    onClose(session) {
      endSession(session, 'closed');
    },
  });

  const replyOf = (err: Error, command: string): SmtpReply => {
    const code = (err as Error & { responseCode?: number }).responseCode ?? 451;
    const [enhanced, ...text] = err.message.split(' ');
    return reply(code, enhanced ?? '4.3.0', text.join(' '), command);
  };

  /**
   * One AUTH attempt: decided by decideAuth, recorded as AuthAttempted (mechanism, user, outcome; never the
   * password) and counted, then the auth stage of the pipeline (which may still refuse a valid login).
   * Resolves with the user name, or with the SMTP reply and how long to hold it back.
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
    const refused = await runStage('auth', session, ctx, { mechanism, user, outcome: decision.outcome === 'success' ? 'success' : 'failure' });
    if (decision.outcome === 'success') {
      if (refused) {
        log.info({ ...fields, outcome: 'refused by policy' }, 'authentication refused by policy');
        return { error: refused, delayMs: 0 };
      }
      log.info(fields, 'authenticated');
      return decision.user;
    }
    if (decision.outcome === 'error') log.error({ ...fields, err: decision.cause }, 'authentication failed: user store unavailable');
    else log.info(fields, 'authentication refused');
    return { error: smtpError(decision.code, decision.enhancedCode, decision.text), delayMs: decision.delayMs };
  };

  const rejectMessage = (ctx: Context, input: { mailFrom: string; rcptTo: string[]; size: number; reply: SmtpReply; reason: string; at: Date }) => {
    ctx.counts.messagesRejected++;
    deps.metrics.messagesRejected.inc({ listener: config.name, code: input.reply.code });
    ctx.recorder.record(messageRejected({
      sessionId: ctx.recorder.sessionId, mailFrom: input.mailFrom, rcptTo: input.rcptTo, sizeBytes: input.size,
      reply: input.reply, reason: input.reason, at: input.at.toISOString(),
    }));
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
    const base = { mailFrom, rcptTo, size, at: now };
    if (stream.sizeExceeded) {
      const r = reply(552, '5.3.4', `Message size exceeds fixed maximum message size ${config.maxMessageSize}`, 'DATA');
      rejectMessage(ctx, { ...base, reply: r, reason: 'size limit' });
      throw smtpError(r.code, r.enhancedCode!, r.text);
    }
    const transaction = ctx.transaction;
    ctx.transaction = newTransaction();
    const stages = await runContentStages(deps.pipeline, {
      listener: config.name, session: sessionView(session, ctx), transaction: transactionView(session), messageId, body: Buffer.concat(chunks), authservId: deps.hostname,
      annotations: { ...ctx.sessionAnnotations, ...transaction.annotations }, quarantine: transaction.quarantine ?? ctx.sessionQuarantine, signal: ctx.abort.signal,
    });
    if (stages.kind === 'refused') {
      recordEvaluations(ctx, stages.evaluations);
      rejectMessage(ctx, { ...base, reply: stages.outcome.reply, reason: `policy: ${stages.outcome.decidedBy ?? 'unknown'}: ${stages.outcome.reason ?? ''}` });
      throw refusal(stages.outcome)!;
    }
    const { body, evaluations, quarantine } = stages;
    const { annotations: kept, authentication } = splitAuthentication(stages.annotations);
    const params = session.envelope.mailFrom && session.envelope.mailFrom.args
      ? Object.fromEntries(Object.entries(session.envelope.mailFrom.args).map(([k, v]) => [k, String(v)])) : {};
    try {
      await acceptMessage({ store: deps.store, blobs: deps.blobs, routing: deps.routing, ...(deps.inlineBodies ? { inlineBodies: deps.inlineBodies } : {}) }, {
        messageId, sessionId: ctx.recorder.sessionId, body, mailFrom, rcptTo, params,
        client: clientOf(session), listener: config.name, authUser: userOf(session), tls: tlsOf(session),
        actor: `smtp:${session.remoteAddress}`, node: deps.node, now,
        annotations: kept, authentication, evaluations, quarantine,
      });
    } catch (err) {
      const e = err as Error & { responseCode: number; cause?: unknown };
      log.error({ err: e.cause ?? e, sessionId: ctx.recorder.sessionId }, 'message not accepted');
      rejectMessage(ctx, { ...base, reply: replyOf(e, 'DATA'), reason: String((e.cause as Error | undefined)?.message ?? e.message) });
      throw e;
    }
    ctx.counts.messagesAccepted++;
    deps.metrics.messagesAccepted.inc(labels);
    log.debug({ messageId, sessionId: ctx.recorder.sessionId, size, quarantined: quarantine !== null }, 'message accepted');
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
    role: config.role,
    listen: () => new Promise<{ port: number }>((resolve, reject) => {
      const onError = (err: Error) => reject(new Error(`SMTP listener ${config.name} cannot listen on ${config.host}:${config.port}: ${err.message}`, { cause: err }));
      server.server.once('error', onError);
      server.listen(config.port, config.host, () => {
        server.server.off('error', onError);
        const address = server.server.address();
        resolve({ port: typeof address === 'object' && address ? address.port : config.port });
      });
    }),
    /** Swaps the certificate for new sessions (files changed on disk); sessions in progress keep theirs. */
    updateCredentials: (credentials: { key: string; cert: string }) => {
      if (config.tls) server.updateSecureContext({ ...credentials });
    },
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const [id, ctx] of contexts) if (!ctx.ended) endSession({ id, remoteAddress: '' } as SMTPServerSession, 'shutdown');
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    activeSessions: () => contexts.size,
  };
};

export type InboundListener = ReturnType<typeof createInboundListener>;
