import {
  asMessageId, composeDsn, DSN_FOR_ANNOTATION, messageStream,
  type BounceQueued, type DsnRecipient, type EventStore, type MessageEvent, type SmtpReply,
} from '@elemta/domain';
import type { Logger } from '@elemta/infra/logger';
import { acceptMessage, type AcceptDeps } from '../smtp/accept-message.js';
import { headerBlock } from '../smtp/header-summary.js';

export type DsnDeps = Readonly<{
  accept: AcceptDeps;
  store: EventStore;
  hostname: string;
  node: string;
  now: () => Date;
  log: Logger;
}>;

/** "42 seconds", "3 minutes", "4.2 hours", "5 days": the unit that reads best for the age. */
export const describeAge = (seconds: number): string => {
  const [amount, unit] = seconds < 120 ? [seconds, 'second'] : seconds < 7200 ? [seconds / 60, 'minute']
    : seconds < 172_800 ? [seconds / 3600, 'hour'] : [seconds / 86_400, 'day'];
  const rounded = amount >= 10 ? Math.round(amount) : Math.round(amount * 10) / 10;
  return `${rounded} ${unit}${rounded === 1 ? '' : 's'}`;
};

type Found = { reply: SmtpReply | null; reason: string; remoteMta: string | null; lastAttemptAt: string | null };

/** The last word on each recipient from the original stream: its bounce, or (expired) its last deferral. */
const recipientHistory = (events: readonly MessageEvent[], recipient: string): Found => {
  const found: Found = { reply: null, reason: 'delivery failed', remoteMta: null, lastAttemptAt: null };
  const hosts = new Map<string, string | null>();
  for (const e of events) {
    if (e.type === 'DeliveryAttempted') {
      hosts.set(e.data.attemptId, e.data.mxHost);
      if (e.data.recipients.includes(recipient)) Object.assign(found, { lastAttemptAt: e.data.at, reply: e.data.reply, remoteMta: e.data.mxHost });
    } else if ((e.type === 'RecipientBounced' || e.type === 'RecipientDeferred') && e.data.recipient === recipient) {
      Object.assign(found, { reply: e.data.reply, remoteMta: (e.data.attemptId && hosts.get(e.data.attemptId)) ?? found.remoteMta });
      if (e.type === 'RecipientBounced') found.reason = e.data.reason;
    } else if (e.type === 'MessageExpired' && e.data.recipients.includes(recipient)) {
      found.reason = `message expired after ${describeAge(e.data.queueAgeSeconds)} in the queue`;
    }
  }
  return found;
};

/**
 * Turns a `BounceQueued` into its DSN: a new message from the null sender to the original sender, with its own
 * stream `message-<dsnMessageId>`, accepted through the same path as SMTP. Idempotent: the DSN's stream is created
 * with expected version 0, so a second call (a retry, or the sweeper after a crash) finds it and does nothing.
 */
export const sendDsn = async (deps: DsnDeps, originalId: string, bounce: BounceQueued['data']): Promise<void> => {
  const dsnStream = messageStream(asMessageId(bounce.dsnMessageId));
  if ((await deps.store.readStream(dsnStream)).version > 0) return;
  const { events } = await deps.store.readStream<MessageEvent>(messageStream(asMessageId(originalId)));
  const accepted = events.find((e) => e.type === 'MessageAccepted');
  if (!accepted || accepted.type !== 'MessageAccepted') throw new Error(`message ${originalId} has no MessageAccepted`);
  const expired = new Set(events.flatMap((e) => (e.type === 'MessageExpired' ? e.data.recipients : [])));
  const recipients: DsnRecipient[] = bounce.recipients.map((address) => {
    const h = recipientHistory(events, address);
    // an expired recipient's last reply was temporary; the DSN reports the failure, with the reason in words
    return { address, action: 'failed', reply: expired.has(address) ? null : h.reply, reason: expired.has(address) && h.reply
      ? `${h.reason}; last reply: ${h.reply.code} ${h.reply.text}` : h.reason, remoteMta: h.remoteMta, lastAttemptAt: h.lastAttemptAt };
  });
  const body = await deps.accept.blobs.get(accepted.data.bodyRef);
  const originalHeaders = body ? headerBlock(body) : `Message-ID: ${accepted.data.headers.messageId ?? '(unknown)'}`;
  const now = deps.now();
  const dsn = composeDsn({
    dsnMessageId: bounce.dsnMessageId, reportingMta: deps.hostname, to: accepted.data.envelope.mailFrom,
    originalMessageId: originalId, arrivalDate: accepted.data.acceptedAt, now: now.toISOString(), recipients, originalHeaders,
  });
  try {
    await acceptMessage(deps.accept, {
      messageId: bounce.dsnMessageId, sessionId: null, body: Buffer.from(dsn, 'utf8'), mailFrom: '',
      rcptTo: [accepted.data.envelope.mailFrom], params: {}, client: null, listener: 'dsn', authUser: null, tls: null,
      actor: `system:dsn@${deps.node}`, node: deps.node, now, annotations: { [DSN_FOR_ANNOTATION]: originalId },
    });
    deps.log.info({ messageId: originalId, dsnMessageId: bounce.dsnMessageId, recipients: bounce.recipients.length }, 'DSN queued');
  } catch (err) {
    if ((await deps.store.readStream(dsnStream)).version > 0) return; // another worker created it first
    throw err;
  }
};
