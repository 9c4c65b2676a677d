import {
  deliveryAttempted, fold, messageAccepted, messageDecider, messageEventDefinitions, messageQueued, policyEvaluated,
  recipientBounced, recipientDeferred, recipientDelivered, type MessageEvent, type Priority as PriorityValue,
  type SmtpReply as SmtpReplyValue,
} from '@elemta/domain';
import type { EventRecord } from '../event-log.js';
import { builder } from '../builder.js';
import { AuthenticationResults, ClientInfo, DeliveryAttempt, Envelope, HeaderSummary, PolicyVerdict, TlsInfo } from './event-parts.js';
import { Message, Recipient } from './message.js';
import { eventsOf, messageTimeline } from './message-timeline.js';
import { Priority, SmtpReply } from './queue.js';

export type RecipientDetails = Readonly<{
  priority: PriorityValue | null;
  attempts: number;
  nextAttemptAt: string | null;
  lastReply: SmtpReplyValue | null;
}>;

const currentVersions = new Map<string, number>(messageEventDefinitions.map((d) => [d.type, d.schemaVersion]));
const isMessageEvent = (e: EventRecord): boolean => currentVersions.get(e.type) === e.schemaVersion;

/** The last reply each recipient got: from its own outcome event, else from the attempt that included it. */
const lastReplies = (events: readonly EventRecord[]): Map<string, SmtpReplyValue> => {
  const replies = new Map<string, SmtpReplyValue>();
  const outcomes = [recipientDelivered, recipientDeferred, recipientBounced].map((d) => d.type as string);
  for (const e of events.filter(isMessageEvent) as unknown as MessageEvent[]) {
    if (e.type === 'DeliveryAttempted' && e.data.reply) for (const r of e.data.recipients) replies.set(r, e.data.reply);
    if (outcomes.includes(e.type)) {
      const { recipient, reply } = e.data as { recipient: string; reply: SmtpReplyValue };
      replies.set(recipient, reply);
    }
  }
  return replies;
};

/**
 * Priority, attempts, next attempt and last reply of every recipient, folded from the message's timeline with the
 * decider's own `evolve`, so these agree with what delivery decides. Keyed by the address as given in RCPT TO.
 */
export const recipientDetailsOf = (events: readonly EventRecord[]): ReadonlyMap<string, RecipientDetails> => {
  const state = fold(messageDecider, events.filter(isMessageEvent) as unknown as MessageEvent[]);
  if (state.status === 'New') return new Map();
  const routed = new Set(eventsOf(events, messageQueued).flatMap((e) => e.data.recipients.map((r) => r.address)));
  const replies = lastReplies(events);
  return new Map(Object.entries(state.recipients).map(([address, r]) => [address, {
    priority: routed.has(address) ? r.priority : null,
    attempts: r.attempts,
    nextAttemptAt: r.status === 'pending' ? r.nextAttemptAt : null,
    lastReply: replies.get(address) ?? null,
  }]));
};

// Once per timeline read (so per message object), like the timeline it is folded from.
const folded = new WeakMap<readonly EventRecord[], ReadonlyMap<string, RecipientDetails>>();
const detailsOf = (events: readonly EventRecord[]) => {
  let details = folded.get(events);
  if (!details) folded.set(events, (details = recipientDetailsOf(events)));
  return details;
};

const accepted = (events: readonly EventRecord[]) => eventsOf(events, messageAccepted)[0]?.data ?? null;

builder.objectFields(Message, (t) => ({
  envelope: t.field({
    type: Envelope, nullable: true, description: 'The SMTP envelope with its parameters; null only if the timeline lacks the MessageAccepted event.',
    resolve: async (m, _args, ctx) => accepted(await messageTimeline(ctx, m))?.envelope ?? null,
  }),
  headers: t.field({
    type: HeaderSummary, nullable: true, description: 'From, To, Subject, Message-ID and Date as received; null only if the timeline lacks the MessageAccepted event.',
    resolve: async (m, _args, ctx) => accepted(await messageTimeline(ctx, m))?.headers ?? null,
  }),
  authentication: t.field({
    type: AuthenticationResults, nullable: true, description: 'SPF, DKIM, DMARC and ARC results at reception; null when they were not checked.',
    resolve: async (m, _args, ctx) => accepted(await messageTimeline(ctx, m))?.authentication ?? null,
  }),
  client: t.field({
    type: ClientInfo, nullable: true, description: 'The SMTP client that sent it (address, port, reverse DNS, HELO); null when not received over SMTP.',
    resolve: async (m, _args, ctx) => accepted(await messageTimeline(ctx, m))?.client ?? null,
  }),
  tls: t.field({
    type: TlsInfo, nullable: true, description: 'TLS of the SMTP connection it came over; null in the clear.',
    resolve: async (m, _args, ctx) => accepted(await messageTimeline(ctx, m))?.tls ?? null,
  }),
  deliveryAttempts: t.field({
    type: [DeliveryAttempt], description: 'Every delivery attempt, oldest first: destination, TLS, reply, duration and outcome.',
    resolve: async (m, _args, ctx) => eventsOf(await messageTimeline(ctx, m), deliveryAttempted).map((e) => e.data),
  }),
  policyVerdicts: t.field({
    type: [PolicyVerdict], description: 'Verdicts recorded on the message (the data stage at reception, and delivery), oldest first. Earlier stages are on its session.',
    resolve: async (m, _args, ctx) => eventsOf(await messageTimeline(ctx, m), policyEvaluated).map((e) => e.data),
  }),
}));

const detail = async (r: { address: string; message: Readonly<{ id: string }> }, ctx: Parameters<typeof messageTimeline>[0]) =>
  detailsOf(await messageTimeline(ctx, r.message)).get(r.address);

builder.objectFields(Recipient, (t) => ({
  priority: t.field({
    type: Priority, nullable: true, description: 'The delivery priority; null before routing.',
    resolve: async (r, _args, ctx) => (await detail(r, ctx))?.priority ?? null,
  }),
  attempts: t.int({
    description: 'How many delivery attempts included this recipient.',
    resolve: async (r, _args, ctx) => (await detail(r, ctx))?.attempts ?? 0,
  }),
  nextAttemptAt: t.field({
    type: 'DateTime', nullable: true, description: 'When it is next due while pending (held ones keep their schedule for their release); null once final.',
    resolve: async (r, _args, ctx) => (await detail(r, ctx))?.nextAttemptAt ?? null,
  }),
  lastReply: t.field({
    type: SmtpReply, nullable: true, description: 'The last SMTP reply for this recipient; null before any attempt got one.',
    resolve: async (r, _args, ctx) => (await detail(r, ctx))?.lastReply ?? null,
  }),
}));
