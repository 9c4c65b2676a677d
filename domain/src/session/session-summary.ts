import type { ClientInfo, SmtpReply } from '../events/common.js';
import { currentSchemaVersion } from '../events/catalogue.js';
import type {
  AuthAttempted, PolicyEvaluated, SessionEnded, SessionEvent, SessionStarted,
} from '../events/session-events.js';

export type TlsInfo = SessionStarted['data']['tls'];
export type SessionEndReason = SessionEnded['data']['reason'];
export type SessionCounts = SessionEnded['data']['counts'];
export type AuthAttemptSummary = Omit<AuthAttempted['data'], 'sessionId'>;
export type PolicyVerdictSummary = PolicyEvaluated['data'];

/** A command the session answered with 4xx/5xx, whichever event recorded it. */
export type SessionRejection = Readonly<{
  /** `MAIL FROM`, `RCPT TO`, `DATA`, or the command line of a `CommandRejected` (verb and argument). */
  command: string;
  /** The sender or recipient address refused, when the rejection was about one. */
  address: string | null;
  reply: SmtpReply;
  reason: string | null;
  at: string;
}>;

/** One SMTP session as its `session-<id>` stream tells it. */
export type SessionSummary = Readonly<{
  sessionId: string;
  /** Null only when the stream lacks its `SessionStarted` (e.g. a newer node's event types). */
  listener: string | null;
  /** The client; `helo` is the name it gave last (from `SessionEnded`, else as known at connect). */
  client: ClientInfo | null;
  localAddress: string | null;
  localPort: number | null;
  /** TLS as last known: `SessionEnded` records it after a STARTTLS, `SessionStarted` for implicit TLS. */
  tls: TlsInfo;
  startedAt: string | null;
  endedAt: string | null;
  endReason: SessionEndReason | null;
  authAttempts: readonly AuthAttemptSummary[];
  policyVerdicts: readonly PolicyVerdictSummary[];
  rejections: readonly SessionRejection[];
  /** The counts `SessionEnded` recorded; null while the session is open. */
  counts: SessionCounts | null;
}>;

export const emptySessionSummary = (sessionId: string): SessionSummary => ({
  sessionId, listener: null, client: null, localAddress: null, localPort: null, tls: null, startedAt: null,
  endedAt: null, endReason: null, authAttempts: [], policyVerdicts: [], rejections: [], counts: null,
});

const rejected = (summary: SessionSummary, rejection: SessionRejection): SessionSummary =>
  ({ ...summary, rejections: [...summary.rejections, rejection] });

/** Folds one session event into the summary. Pure and total: an event that does not apply leaves it as it was. */
export const evolveSessionSummary = (summary: SessionSummary, event: SessionEvent): SessionSummary => {
  switch (event.type) {
    case 'SessionStarted': {
      const d = event.data;
      return { ...summary, listener: d.listener, client: d.client, localAddress: d.localAddress, localPort: d.localPort, tls: d.tls, startedAt: d.startedAt };
    }
    case 'SessionEnded': {
      const d = event.data;
      const client = summary.client ? { ...summary.client, helo: d.helo ?? summary.client.helo } : null;
      return {
        ...summary, listener: summary.listener ?? d.listener, client, tls: d.tls ?? summary.tls,
        endedAt: d.endedAt, endReason: d.reason, counts: d.counts,
      };
    }
    case 'AuthAttempted': {
      const { sessionId: _, ...attempt } = event.data;
      return { ...summary, authAttempts: [...summary.authAttempts, attempt] };
    }
    case 'PolicyEvaluated':
      return { ...summary, policyVerdicts: [...summary.policyVerdicts, event.data] };
    case 'CommandRejected':
      return rejected(summary, { command: event.data.command, address: null, reply: event.data.reply, reason: null, at: event.data.at });
    case 'SenderRejected':
      return rejected(summary, { command: 'MAIL FROM', address: event.data.address, reply: event.data.reply, reason: event.data.reason, at: event.data.at });
    case 'RecipientRejected':
      return rejected(summary, { command: 'RCPT TO', address: event.data.address, reply: event.data.reply, reason: event.data.reason, at: event.data.at });
    case 'MessageRejected':
      return rejected(summary, { command: 'DATA', address: null, reply: event.data.reply, reason: event.data.reason, at: event.data.at });
    default:
      return summary;
  }
};

const sessionEventTypes: ReadonlySet<string> = new Set<SessionEvent['type']>([
  'SessionStarted', 'SessionEnded', 'AuthAttempted', 'PolicyEvaluated', 'CommandRejected', 'SenderRejected', 'RecipientRejected', 'MessageRejected',
]);

/** Any event as read from a stream, of whatever type and version. */
type StoredEvent = Readonly<{ type: string; schemaVersion: number; data: unknown }>;

/** Session events of the current schema version; others (unknown types, a newer node's versions) are skipped. */
const isFoldable = (event: StoredEvent): event is SessionEvent =>
  sessionEventTypes.has(event.type) && event.schemaVersion === currentSchemaVersion(event.type);

/** The summary of a session from its stream's events, in stream order. */
export const summarizeSession = (sessionId: string, events: readonly StoredEvent[]): SessionSummary =>
  events.filter(isFoldable).reduce(evolveSessionSummary, emptySessionSummary(sessionId));
