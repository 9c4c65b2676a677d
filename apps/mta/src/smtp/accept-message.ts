import {
  asMessageId, DomainError, EventStoreUnavailable, handleNewStreamCommand, messageDecider, messageStream, planRecipients,
  type AcceptMessage, type BlobStore, type ClientInfo, type EventStore, type RoutingPolicy,
} from '@elemta/domain';
import { summarizeHeaders } from './header-summary.js';
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
}>;

export type AcceptDeps = Readonly<{ store: EventStore; blobs: BlobStore; routing: RoutingPolicy }>;

/**
 * The durability rule of DESIGN.md: the body is stored (fsync'd) first, then MessageAccepted and MessageQueued are
 * appended in one atomic append; only when both have resolved may the caller answer 250.
 * Throws an SMTP reply error: 451 4.3.0 for storage failures (the client retries), 554 for domain rejections.
 */
export const acceptMessage = async (deps: AcceptDeps, input: AcceptInput): Promise<{ messageId: string }> => {
  const now = input.now.toISOString();
  try {
    const stored = await deps.blobs.put(input.body);
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
        authentication: null,
        client: input.client,
        listener: input.listener,
        authUser: input.authUser,
        tls: input.tls,
        annotations: {},
        recipients: planRecipients(input.rcptTo, deps.routing, now),
      },
      metadata: { now },
    };
    await handleNewStreamCommand(deps.store, messageDecider, messageStream(asMessageId(input.messageId)), command, {
      correlationId: input.messageId, causationId: input.sessionId, actor: input.actor, node: input.node,
    });
    return { messageId: input.messageId };
  } catch (err) {
    throw toSmtpError(err);
  }
};

export const toSmtpError = (err: unknown): SmtpReplyError & { cause?: unknown } => {
  if (err instanceof DomainError) return Object.assign(smtpError(554, '5.6.0', `Message refused: ${err.message}`), { cause: err });
  const reason = err instanceof EventStoreUnavailable ? 'event store unavailable' : 'local error in processing';
  return Object.assign(smtpError(451, '4.3.0', `Temporary failure (${reason}), please try again later`), { cause: err });
};
