import { createHash } from 'node:crypto';
import {
  asMessageId, DomainError, EventStoreUnavailable, fold, messageDecider, messageStream, planRecipients, policyEvaluatedEvents,
  type AcceptMessage, type AnyDomainEvent, type AppendOptions, type AppendResult, type AuthenticationResults, type BlobStore,
  type ClientInfo, type Evaluation, type EventStore, type RoutingPolicy, type StoredBlob, type StreamName,
} from '@elemta/domain';
import { headerBlock, parseHeaders, summarizeHeaders } from './header-summary.js';
import { smtpError, type SmtpReplyError } from './smtp-replies.js';

export type AcceptInput = Readonly<{
  messageId: string;
  sessionId: string | null;
  body: Uint8Array;
  mailFrom: string;
  rcptTo: readonly string[];
  params: Readonly<Record<string, string>>;
  client: ClientInfo | null;
  listener: string;
  authUser: string | null;
  tls: { protocol: string; cipher: string } | null;
  actor: string;
  node: string;
  now: Date;
  /** Recorded in MessageAccepted (e.g. `elemta.dsnFor` on a DSN). */
  annotations?: Readonly<Record<string, string>>;
  /** SPF, DKIM, DMARC and ARC results of the data stage. */
  authentication?: AuthenticationResults | null;
  /** Data- and queue-stage verdicts: appended with the message, as `PolicyEvaluated` after `MessageQueued`. */
  evaluations?: readonly Evaluation[];
  /** A quarantine verdict: the message is accepted and held at once, in the same append. */
  quarantine?: Readonly<{ plugin: string; reason: string }> | null;
}>;

/** Appends events and stores a body in one transaction (PostgresEventStore.appendWithBody). */
export type AppendWithBody = (
  stream: StreamName, events: readonly AnyDomainEvent[], options: AppendOptions, body: { sha256: string; bytes: Uint8Array },
) => Promise<AppendResult>;

export type AcceptDeps = Readonly<{
  store: EventStore;
  blobs: BlobStore;
  routing: RoutingPolicy;
  /** When the event store and the blob store share PostgreSQL: bodies up to `maxBytes` go with their events. */
  inlineBodies?: Readonly<{ maxBytes: number; append: AppendWithBody }>;
}>;

const inlineBlob = (body: Uint8Array): StoredBlob => {
  const sha256 = createHash('sha256').update(body).digest('hex');
  return { sha256, ref: sha256, sizeBytes: body.byteLength };
};

/**
 * The durability rule of DESIGN.md: the body is stored (fsync'd) first, then MessageAccepted and MessageQueued are
 * appended in one atomic append; only when both have resolved may the caller answer 250. With `inlineBodies` a
 * small body and its events commit in the same transaction instead, which is stronger (neither exists without the
 * other) and costs one WAL flush instead of two.
 * Throws an SMTP reply error: 451 4.3.0 for storage failures (the client retries), 554 for domain rejections.
 */
export const acceptMessage = async (deps: AcceptDeps, input: AcceptInput): Promise<{ messageId: string }> => {
  const now = input.now.toISOString();
  try {
    const inline = deps.inlineBodies && input.body.byteLength <= deps.inlineBodies.maxBytes ? deps.inlineBodies : null;
    const stored: StoredBlob = inline ? inlineBlob(input.body) : await deps.blobs.put(input.body); // the store hashes what it keeps
    const command: AcceptMessage = {
      type: 'AcceptMessage',
      data: {
        messageId: input.messageId,
        sessionId: input.sessionId,
        envelope: { mailFrom: input.mailFrom, rcptTo: [...input.rcptTo], params: { ...input.params } },
        sizeBytes: stored.sizeBytes,
        bodySha256: stored.sha256,
        bodyRef: stored.ref,
        headers: summarizeHeaders(input.body),
        authentication: input.authentication ?? null,
        client: input.client,
        listener: input.listener,
        authUser: input.authUser,
        tls: input.tls,
        annotations: { ...input.annotations },
        recipients: planRecipients(input.rcptTo, deps.routing, now, routingContext(deps.routing, input)),
      },
      metadata: { now },
    };
    const events: AnyDomainEvent[] = messageDecider.decide(command, messageDecider.initialState);
    events.push(...policyEvaluatedEvents(input.evaluations ?? [], { sessionId: input.sessionId, messageId: input.messageId, at: now }));
    if (input.quarantine) {
      const accepted = fold(messageDecider, events as Parameters<typeof messageDecider.evolve>[1][]);
      events.push(...messageDecider.decide({
        type: 'HoldMessage', metadata: { now },
        data: { messageId: input.messageId, actor: `policy:${input.quarantine.plugin}`, reason: `quarantine: ${input.quarantine.reason}` },
      }, accepted));
    }
    const stream = messageStream(asMessageId(input.messageId));
    const options: AppendOptions = {
      expectedVersion: 0, metadata: { correlationId: input.messageId, causationId: input.sessionId, actor: input.actor, node: input.node },
    };
    if (inline) await inline.append(stream, events, options, { sha256: stored.sha256, bytes: input.body });
    else await deps.store.appendToStream(stream, events, options);
    return { messageId: input.messageId };
  } catch (err) {
    throw toSmtpError(err);
  }
};

/** Header lookups for zone rules; the header block is parsed only when a rule looks at a header. */
const routingContext = (routing: RoutingPolicy, input: AcceptInput) => {
  if (!routing.rules?.some((r) => r.header)) return { mailFrom: input.mailFrom, header: () => null };
  const headers = parseHeaders(headerBlock(input.body));
  return { mailFrom: input.mailFrom, header: (name: string) => headers.get(name.toLowerCase()) ?? null };
};

const toSmtpError = (err: unknown): SmtpReplyError & { cause?: unknown } => {
  if (err instanceof DomainError) return Object.assign(smtpError(554, '5.6.0', `Message refused: ${err.message}`), { cause: err });
  const reason = err instanceof EventStoreUnavailable ? 'event store unavailable' : 'local error in processing';
  return Object.assign(smtpError(451, '4.3.0', `Temporary failure (${reason}), please try again later`), { cause: err });
};
