import {
  asSessionId, isUuid, sessionStream, summarizeSession, type SessionRejection as SessionRejectionValue, type SessionSummary,
} from '@elemta/domain';
import { builder, type Context } from '../builder.js';
import type { EventRecord } from '../event-log.js';
import { Event } from './event.js';
import { assertMayReadLog } from './event-access.js';
import { AuthAttempt, ClientInfo, PolicyVerdict, SessionCounts, SessionEndReason, TlsInfo } from './event-parts.js';
import { ForbiddenError } from './queue-actions.js';
import { SmtpReply } from './queue.js';

type SessionValue = SessionSummary & Readonly<{ events: readonly EventRecord[] }>;

const SessionRejection = builder.objectRef<SessionRejectionValue>('SessionRejection').implement({
  description: 'An SMTP command of the session that Elemta answered with 4xx/5xx.',
  fields: (t) => ({
    command: t.exposeString('command', { description: '`MAIL FROM`, `RCPT TO`, `DATA`, or the command line as received (verb and argument; never AUTH data).' }),
    address: t.exposeString('address', { nullable: true, description: 'The sender or recipient refused, when the rejection was about one.' }),
    reply: t.field({ type: SmtpReply, description: 'The reply sent.', resolve: (r) => r.reply }),
    reason: t.exposeString('reason', { nullable: true, description: 'Why, when recorded.' }),
    at: t.field({ type: 'DateTime', description: 'When.', resolve: (r) => r.at }),
  }),
});

export const Session = builder.objectRef<SessionValue>('Session').implement({
  description: 'One SMTP connection, as its `session-<id>` stream records it: who connected, what they tried, and what was refused.',
  fields: (t) => ({
    id: t.exposeID('sessionId', { description: 'The session id (a UUIDv7); accepted messages name it as `sessionId`.' }),
    listener: t.exposeString('listener', { nullable: true, description: 'The listener the client connected to; null only if the stream lacks its start.' }),
    client: t.field({ type: ClientInfo, nullable: true, description: 'The client: address, port, reverse DNS and its last HELO name.', resolve: (s) => s.client }),
    localAddress: t.exposeString('localAddress', { nullable: true, description: 'The local address the client connected to.' }),
    localPort: t.exposeInt('localPort', { nullable: true, description: 'The local port the client connected to.' }),
    tls: t.field({ type: TlsInfo, nullable: true, description: 'TLS as last known (after STARTTLS once the session ended); null in the clear.', resolve: (s) => s.tls }),
    startedAt: t.field({ type: 'DateTime', nullable: true, description: 'When the client connected.', resolve: (s) => s.startedAt }),
    endedAt: t.field({ type: 'DateTime', nullable: true, description: 'When the session ended; null while it is open.', resolve: (s) => s.endedAt }),
    endReason: t.field({ type: SessionEndReason, nullable: true, description: 'Why it ended; null while it is open.', resolve: (s) => s.endReason }),
    authAttempts: t.field({ type: [AuthAttempt], description: 'SMTP AUTH attempts, in order.', resolve: (s) => s.authAttempts }),
    policyVerdicts: t.field({
      type: [PolicyVerdict],
      description: "Verdicts given before a message existed (connect to RCPT TO), in order. A message's data-stage verdicts are on the message.",
      resolve: (s) => s.policyVerdicts,
    }),
    rejections: t.field({ type: [SessionRejection], description: 'Commands refused with 4xx/5xx, in order.', resolve: (s) => s.rejections }),
    counts: t.field({ type: SessionCounts, nullable: true, description: 'What the session amounted to, recorded when it ended; null while it is open.', resolve: (s) => s.counts }),
    events: t.field({ type: [Event], description: "The session's events in stream order, as recorded.", resolve: (s) => s.events }),
  }),
});

/** The session folded from its stream, or null when there is none; throws `ForbiddenError` for integrators. */
export const loadSession = async (ctx: Context, id: string): Promise<SessionValue | null> => {
  assertMayReadLog(ctx.viewer, 'SMTP sessions');
  const sessionId = id.trim().toLowerCase();
  if (!isUuid(sessionId)) return null;
  const events = await ctx.eventLog.readStream(sessionStream(asSessionId(sessionId)));
  return events.length === 0 ? null : { ...summarizeSession(sessionId, events), events };
};

builder.queryField('session', (t) =>
  t.field({
    type: Session,
    nullable: true,
    errors: { types: [ForbiddenError], union: { description: 'The result of `session`: the session, or why the caller may not read it.' } },
    description: 'One SMTP session by id, folded from its event stream; null if there is no such session. Not for integrators.',
    args: { id: t.arg.id({ required: true, description: 'The session id, e.g. the `sessionId` of a message.' }) },
    resolve: (_root, { id }, ctx) => loadSession(ctx, String(id)),
  }),
);
