import { formatAddress, formatBytes, formatTimestamp, isRecord } from './format';

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

type Summarizer = (data: Record<string, unknown>) => string | null;

const accepted: Summarizer = (d) => {
  const envelope = isRecord(d.envelope) ? d.envelope : {};
  const rcpt = list(envelope.rcptTo).map(str).filter((a): a is string => a !== null);
  const client = isRecord(d.client) ? str(d.client.address) : null;
  return [
    `from ${formatAddress(str(envelope.mailFrom))} to ${rcpt.join(', ') || '—'}`,
    formatBytes(num(d.sizeBytes)),
    str(d.listener) && `listener ${str(d.listener)}`,
    client && `client ${client}`,
  ].filter(Boolean).join(' · ');
};

const queued: Summarizer = (d) =>
  list(d.recipients)
    .filter(isRecord)
    .map((r) => `${str(r.address) ?? '?'} → ${str(r.route) ?? '?'} (zone ${str(r.zone) ?? '?'}, ${str(r.priority) ?? 'normal'})`)
    .join('; ') || null;

const attempted: Summarizer = (d) => {
  const host = str(d.mxHost) ?? 'no MX';
  const address = str(d.mxAddress);
  const rcpt = list(d.recipients).length;
  return `${str(d.outcome) ?? '?'} · ${host}${address ? ` [${address}]` : ''} · ${plural(rcpt, 'recipient')} · zone ${str(d.zone) ?? '?'} · ${num(d.durationMs) ?? '?'} ms`;
};

const deferred: Summarizer = (d) =>
  `${str(d.recipient) ?? '?'} · attempt ${num(d.attempt) ?? '?'} · next at ${formatTimestamp(str(d.nextAttemptAt))}`;

const adminAction: Summarizer = (d) => `by ${str(d.actor) ?? '?'}${str(d.reason) ? `: ${str(d.reason)}` : ''}`;

const SUMMARIZERS: Readonly<Record<string, Summarizer>> = {
  MessageAccepted: accepted,
  MessageQueued: queued,
  DeliveryAttempted: attempted,
  RecipientDelivered: (d) => str(d.recipient),
  RecipientDeferred: deferred,
  RecipientBounced: (d) => `${str(d.recipient) ?? '?'}${str(d.reason) ? ` · ${str(d.reason)}` : ''}`,
  RetryScheduled: (d) => `attempt ${num(d.attempt) ?? '?'} for ${plural(list(d.recipients).length, 'recipient')} at ${formatTimestamp(str(d.at))}`,
  MessageExpired: (d) => `${plural(list(d.recipients).length, 'recipient')} still pending after ${num(d.queueAgeSeconds) ?? '?'} s`,
  BounceQueued: (d) => `DSN ${str(d.dsnMessageId) ?? '?'}`,
  MessageHeld: adminAction,
  MessageReleased: adminAction,
  MessageCancelled: adminAction,
  RetryRequested: adminAction,
};

/** One line saying what an event means, for the timeline; null for types it does not know. */
export const summarizeEvent = (type: string, data: unknown): string | null => {
  const summarize = SUMMARIZERS[type];
  return summarize && isRecord(data) ? summarize(data) : null;
};

/** The metadata fields the timeline shows; each is null when the server did not send it. */
export type EventMetadataView = { actor: string | null; hash: string | null; prevHash: string | null; eventId: string | null };

export const readEventMetadata = (metadata: unknown): EventMetadataView => {
  const m = isRecord(metadata) ? metadata : {};
  return { actor: str(m.actor), hash: str(m.hash), prevHash: str(m.prevHash), eventId: str(m.eventId) };
};
