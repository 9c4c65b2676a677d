import {
  asMessageId, DomainError, dueRecipients, expiresAt, handleCommand, messageDecider, messageStream, policyEvaluatedEvents, WrongExpectedVersionError,
  type AttemptOutcome, type BlobStore, type EventStore, type KnownMessageState, type MessageAccepted, type MessageEvent,
  type RecordedEvent, type RetryPolicy, type SmtpReply,
} from '@elemta/domain';
import type { Logger } from '@elemta/infra/logger';
import type { Metrics } from '@elemta/infra/metrics';
import type { DeliveryReport, Transport } from '@elemta/infra/smtp-delivery';
import type { PolicyPipeline } from '../policy/pipeline.js';
import { SIGNING_TRANSPORTS, type MessageSigner } from './message-signer.js';
import type { ZoneRuntime } from './zone-runtime.js';

export type DeliveryDeps = Readonly<{
  store: EventStore;
  blobs: BlobStore;
  /** Route name → transport. */
  transports: ReadonlyMap<string, Transport>;
  zones: ReadonlyMap<string, ZoneRuntime>;
  defaultZone: string;
  retry: RetryPolicy;
  node: string;
  newId: () => string;
  now: () => Date;
  random: () => number;
  metrics: Metrics;
  log: Logger;
  /** Called with the events an append produced, so that BounceQueued turns into a DSN at once. */
  onAppended: (messageId: string, events: readonly MessageEvent[]) => Promise<void>;
  /** DKIM/ARC for relay and smarthost routes; absent or null when `delivery.signing` configures nothing. */
  signer?: MessageSigner | null;
  /** The delivery stage of the policy pipeline: may refuse (bounce) or hold back (defer) a destination. */
  policy?: PolicyPipeline | null;
}>;

/**
 * What became of a claimed message: `retryAt` when a throttle held back a destination, so the claim waits that long;
 * `settled` when it has no pending recipient left, so its claim need not be given back (its queue rows are going).
 */
export type DeliveryResult = Readonly<{ retryAt: Date | null; settled: boolean }>;

type Group = { route: string; domain: string; zone: string; recipients: string[] };

const reply = (code: number, enhancedCode: string, text: string, command: string): SmtpReply => ({ code, enhancedCode, text, command });

const groupsOf = (state: KnownMessageState, due: readonly string[]): Group[] => {
  const groups = new Map<string, Group>();
  for (const address of due) {
    const r = state.recipients[address]!;
    const key = `${r.route}\n${r.domain}\n${r.zone}`;
    const group = groups.get(key) ?? { route: r.route, domain: r.domain, zone: r.zone, recipients: [] };
    group.recipients.push(address);
    groups.set(key, group);
  }
  return [...groups.values()];
};

/** Outcomes decided without a transport: the same reply for every recipient of the group. */
const allOutcomes = (recipients: readonly string[], status: AttemptOutcome['status'], r: SmtpReply): AttemptOutcome[] =>
  recipients.map((recipient) => ({ recipient, status, reply: r }));

const emptyReport = (outcomes: AttemptOutcome[]): DeliveryReport =>
  ({ outcomes, mxHost: null, mxAddress: null, localAddress: null, tls: null, durationMs: 0 });

/**
 * Delivers the due recipients of one claimed message. The queue view only said the message is probably due: the
 * stream is read and folded, and `dueRecipients` decides (DESIGN.md, Delivery). Recipients go in one transaction per
 * route, destination domain and zone. Each attempt is appended with the stream's expected version through
 * `handleCommand`, so two workers never both record one attempt. Never throws for a peer's answer or a local failure
 * of one delivery; it throws only when the event store fails, and the claim then runs out and another try follows.
 */
export const deliverMessage = async (deps: DeliveryDeps, messageId: string): Promise<DeliveryResult> => {
  const stream = messageStream(asMessageId(messageId));
  const { events, version } = await deps.store.readStream<MessageEvent>(stream);
  const state = events.reduce(messageDecider.evolve, messageDecider.initialState);
  const known: Known = { state, version };
  if (state.status !== 'Queued' || state.held) return { retryAt: null, settled: state.status !== 'Queued' };
  const now = deps.now();
  if (now.getTime() >= expiresAt(state, deps.retry.maxQueueSeconds)) {
    await record(deps, messageId, {
      type: 'ExpireMessage', data: { messageId, maxQueueSeconds: deps.retry.maxQueueSeconds, dsnMessageId: deps.newId() },
      metadata: { now: now.toISOString() },
    }, deps.defaultZone, known);
    return { retryAt: null, settled: true };
  }
  const due = dueRecipients(state, now.toISOString());
  if (due.length === 0) return { retryAt: null, settled: false };
  const accepted = events.find((e): e is RecordedEvent<MessageAccepted> => e.type === 'MessageAccepted')!;
  let body: Buffer | null | undefined;
  const loadBody = async () => {
    if (body === undefined) {
      const bytes = await deps.blobs.get(accepted.data.bodyRef);
      body = bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : null;
    }
    return body;
  };
  // one signature per attempt of the message, shared by every destination it goes to (and none per recipient)
  let signing: Promise<Buffer> | undefined;
  const signBody = (bytes: Buffer) => (signing ??= deps.signer ? deps.signer.sign(accepted.data, bytes) : Promise.resolve(bytes));
  // destinations in parallel; their appends to the one stream meet in handleCommand's expected-version retries
  const groups = groupsOf(state, due);
  const results = await Promise.all(groups.map((group) => deliverGroup(deps, {
    messageId, mailFrom: accepted.data.envelope.mailFrom, group, loadBody, signBody, known, conflictRetries: groups.length + 2,
  })));
  const retryAt = results.flatMap((r) => (r.retryAt ? [r.retryAt] : [])).sort((a, b) => a.getTime() - b.getTime())[0] ?? null;
  const pending = Object.values(state.recipients).filter((r) => r.status === 'pending').length;
  return { retryAt, settled: pending === due.length && results.every((r) => r.settled) };
};

type GroupInput = Readonly<{
  messageId: string; mailFrom: string; group: Group; loadBody: () => Promise<Buffer | null>;
  /** The body as it leaves the machine: DKIM-signed or ARC-sealed when that applies. */
  signBody: (body: Buffer) => Promise<Buffer>;
  known: Known; conflictRetries: number;
}>;

type GroupResult = Readonly<{ retryAt: Date | null; settled: boolean }>;

/** One attempt for one group: `retryAt` when a throttle refused it, `settled` when every recipient got a final answer. */
const deliverGroup = async (deps: DeliveryDeps, input: GroupInput): Promise<GroupResult> => {
  const { messageId, group } = input;
  const zone = deps.zones.get(group.zone) ?? deps.zones.get(deps.defaultZone)!;
  const log = deps.log.child({ messageId, domain: group.domain, route: group.route, zone: zone.name });
  const throttled = await zone.throttle(group.domain);
  if (!throttled.allowed) {
    log.debug({ throttle: throttled.key, retryAt: throttled.retryAt }, 'delivery throttled');
    return { retryAt: throttled.retryAt, settled: false };
  }
  const attemptId = deps.newId();
  const release = await zone.acquireSlot();
  const started = performance.now();
  let report: DeliveryReport;
  try {
    report = await attempt(deps, { ...input, attemptId, zone }, log);
  } finally {
    release();
  }
  deps.metrics.deliveryDuration.observe({ zone: zone.name, route: group.route }, (performance.now() - started) / 1000);
  await record(deps, messageId, {
    type: 'RecordDeliveryAttempt',
    data: {
      messageId, attemptId, zone: zone.name, localAddress: report.localAddress, mxHost: report.mxHost, mxAddress: report.mxAddress,
      tls: report.tls, durationMs: Math.round(report.durationMs), outcomes: report.outcomes, retry: deps.retry,
      jitter: deps.random(),
      // a DSN id only when a recipient may bounce or expire ('' is never used: nothing is reported for deliveries)
      dsnMessageId: report.outcomes.every((o) => o.status === 'delivered') ? '' : deps.newId(),
    },
    metadata: { now: deps.now().toISOString() },
  }, zone.name, input.known, input.conflictRetries);
  return { retryAt: null, settled: report.outcomes.every((o) => o.status !== 'deferred') };
};

type AttemptInput = GroupInput & Readonly<{ attemptId: string; zone: ZoneRuntime }>;

const attempt = async (deps: DeliveryDeps, input: AttemptInput, log: Logger): Promise<DeliveryReport> => {
  const { group } = input;
  const transport = deps.transports.get(group.route);
  if (!transport) {
    log.error('no transport for route; the recipient waits for a configuration that has it');
    return emptyReport(allOutcomes(group.recipients, 'deferred', reply(451, '4.3.5', `route "${group.route}" is not configured on ${deps.node}`, 'ROUTE')));
  }
  const refused = await deliveryPolicy(deps, input, log);
  if (refused) return refused;
  let body = await input.loadBody();
  if (body === null) {
    log.error('message body not found in the blob store');
    return emptyReport(allOutcomes(group.recipients, 'deferred', reply(451, '4.3.0', 'message body not found on this node', 'BODY')));
  }
  if (deps.signer && SIGNING_TRANSPORTS.has(transport.kind)) {
    try {
      body = await input.signBody(body);
    } catch (err) {
      // Deferred, never sent unsigned: receivers reject or quarantine unsigned mail from a domain with a DMARC policy
      // (and forwarded mail that only our ARC seal could vouch for), often silently, so sending would trade a visible,
      // retried delay for an invisible loss. Keys are checked at start-up, so what fails here is local and transient,
      // or a bug: the message stays queued, is retried on the usual schedule, and like any deferral expires with a DSN
      // to its sender.
      log.error({ err }, 'could not sign the message; deferred rather than sent unsigned');
      return emptyReport(allOutcomes(group.recipients, 'deferred', reply(451, '4.3.0', `could not sign the message on ${deps.node}`, 'SIGN')));
    }
  }
  try {
    return await transport.deliver({
      messageId: input.messageId, attemptId: input.attemptId, mailFrom: input.mailFrom, recipients: group.recipients,
      domain: group.domain, body, localAddress: input.zone.localAddressFor(group.domain),
    });
  } catch (err) {
    log.error({ err }, 'transport failed');
    return emptyReport(allOutcomes(group.recipients, 'deferred', reply(451, '4.3.0', 'local error in delivery', 'DELIVER')));
  }
};

/**
 * The delivery stage: plugins see the destination before anything is sent. A reject bounces the group's recipients
 * with the plugin's reply, a tempfail defers them; either is recorded as PolicyEvaluated in the message's stream
 * (appended on its own: it is a record, the attempt's outcome that follows carries the same reply).
 */
const deliveryPolicy = async (deps: DeliveryDeps, input: AttemptInput, log: Logger): Promise<DeliveryReport | null> => {
  if (!deps.policy?.hooks('delivery', null)) return null;
  const { group } = input;
  const outcome = await deps.policy.run('delivery', {
    listener: null, session: null, transaction: null, annotations: {},
    args: { messageId: input.messageId, mailFrom: input.mailFrom, recipients: group.recipients, route: group.route, zone: group.zone },
  });
  if (outcome.evaluations.length > 0) {
    const events = policyEvaluatedEvents(outcome.evaluations, { sessionId: null, messageId: input.messageId, at: deps.now().toISOString() });
    await deps.store.appendToStream(messageStream(asMessageId(input.messageId)), events, {
      expectedVersion: 'any',
      metadata: { correlationId: input.messageId, causationId: input.attemptId, actor: `system:delivery@${deps.node}`, node: deps.node },
    }).catch((err: unknown) => log.error({ err }, 'delivery-stage verdict not recorded'));
  }
  if (!outcome.reply || (outcome.verdict !== 'reject' && outcome.verdict !== 'tempfail')) return null;
  log.info({ plugin: outcome.decidedBy, verdict: outcome.verdict }, 'delivery refused by policy');
  return emptyReport(allOutcomes(group.recipients, outcome.verdict === 'reject' ? 'bounced' : 'deferred', outcome.reply));
};

type RecordCommand = Parameters<typeof messageDecider.decide>[0];
/** The stream as read before delivering: its folded state and version. */
type Known = Readonly<{ state: Parameters<typeof messageDecider.decide>[1]; version: number }>;

/**
 * Appends what was decided. The first try decides on the state read before the delivery, saving a read; if the
 * stream moved on meanwhile (another destination of the same message, an admin action) the append fails on its
 * expected version and `handleCommand` reads, decides again and retries. A refusal by the decider (the recipients
 * were settled meanwhile) is counted, not thrown.
 */
const record = async (
  deps: DeliveryDeps, messageId: string, command: RecordCommand, zone: string, known: Known, retries = 3,
): Promise<void> => {
  const stream = messageStream(asMessageId(messageId));
  const metadata = { correlationId: messageId, causationId: null, actor: `system:delivery@${deps.node}`, node: deps.node };
  try {
    let events: MessageEvent[];
    try {
      events = messageDecider.decide(command, known.state);
      if (events.length > 0) await deps.store.appendToStream(stream, events, { expectedVersion: known.version, metadata });
    } catch (err) {
      if (!(err instanceof WrongExpectedVersionError) && !(err instanceof DomainError)) throw err;
      ({ events } = await handleCommand(deps.store, messageDecider, stream, command, metadata, retries));
    }
    countOutcomes(deps.metrics, zone, events);
    if (events.length > 0) await deps.onAppended(messageId, events);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    deps.metrics.deliveryDuplicates.inc({ zone });
    deps.log.warn({ messageId, code: err.code, err }, 'delivery outcome not recorded: the message changed meanwhile');
  }
};

const countOutcomes = (metrics: Metrics, zone: string, events: readonly MessageEvent[]) => {
  for (const e of events) {
    if (e.type === 'RecipientDelivered') metrics.deliveries.inc({ zone, outcome: 'delivered' });
    else if (e.type === 'RecipientDeferred') metrics.deliveries.inc({ zone, outcome: 'deferred' });
    else if (e.type === 'RecipientBounced') metrics.deliveries.inc({ zone, outcome: 'bounced' });
    else if (e.type === 'MessageExpired') metrics.deliveries.inc({ zone, outcome: 'expired' }, e.data.recipients.length);
  }
};
