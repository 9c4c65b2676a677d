import type { FieldMap, ObjectFieldBuilder } from '@pothos/core';
import type {
  AuthAttempted, AuthenticationResults as AuthenticationResultsValue, ClientInfo as ClientInfoValue, DeliveryAttempted,
  Envelope as EnvelopeValue, HeaderSummary as HeaderSummaryValue, PolicyEvaluated, PolicyStage as PolicyStageValue,
  PolicyVerdict as VerdictValue, QueuedRecipient as QueuedRecipientValue, SessionCounts as SessionCountsValue,
  SessionEndReason as SessionEndReasonValue,
} from '@elemta/domain';
import { builder, type BuilderTypes } from '../builder.js';
import { enumValues } from '../enum-values.js';
import { Priority, SmtpReply } from './queue.js';

type Fields<P> = ObjectFieldBuilder<BuilderTypes, P>;
type TlsValue = Readonly<{ protocol: string; cipher: string }>;
type AuthResultValue = NonNullable<AuthenticationResultsValue['spf']>;
type DeliveryAttemptValue = DeliveryAttempted['data'];
type PolicyVerdictValue = PolicyEvaluated['data'];
type AuthAttemptValue = Omit<AuthAttempted['data'], 'sessionId'>;

export const PolicyStage = builder.enumType('PolicyStage', {
  description: 'The point at which a policy plugin was asked for a verdict.',
  values: enumValues<PolicyStageValue>({
    connect: 'The client connected.', helo: 'HELO or EHLO.', auth: 'SMTP AUTH.', mail: 'MAIL FROM.', rcpt: 'RCPT TO.',
    data: 'The end of DATA, with the whole message.', queue: 'The message was about to be queued.', delivery: 'Before a delivery attempt.',
  }),
});

export const Verdict = builder.enumType('Verdict', {
  description: 'What a policy plugin decided.',
  values: enumValues<VerdictValue>({
    accept: 'Let it through.', reject: 'Refused permanently (5xx).', tempfail: 'Refused for now (4xx); the client may retry.',
    quarantine: 'Accepted but held for review.', tag: 'Accepted with annotations (e.g. a spam score).',
  }),
});

export const DeliveryOutcome = builder.enumType('DeliveryOutcome', {
  description: 'How a delivery attempt ended for its recipients as a whole.',
  values: enumValues<DeliveryAttemptValue['outcome']>({
    delivered: 'Every recipient of the attempt was accepted.', deferred: 'Every recipient failed temporarily and will be retried.',
    bounced: 'Every recipient failed permanently.', partial: 'The recipients of the attempt had different outcomes.',
  }),
});

export const SessionEndReason = builder.enumType('SessionEndReason', {
  description: 'Why an SMTP session ended.',
  values: enumValues<SessionEndReasonValue>({
    quit: 'The client sent QUIT.', closed: 'The connection closed without QUIT.', timeout: 'A time limit passed.',
    error: 'A protocol or socket error.', shutdown: 'Elemta was shutting down.',
  }),
});

export const AuthOutcome = builder.enumType('AuthOutcome', {
  description: 'How an SMTP AUTH attempt ended.',
  values: enumValues<AuthAttemptValue['outcome']>({ success: 'The credentials were accepted.', failure: 'The credentials were refused.' }),
});

export const ClientInfo = builder.objectRef<ClientInfoValue>('ClientInfo').implement({
  description: 'The SMTP client of a session.',
  fields: (t) => ({
    address: t.exposeString('address', { description: "The client's IP address." }),
    port: t.exposeInt('port', { description: "The client's TCP port." }),
    reverseDns: t.exposeString('reverseDns', { nullable: true, description: 'The reverse DNS name of the address; null when not looked up or not found.' }),
    helo: t.exposeString('helo', { nullable: true, description: 'The name the client gave in HELO/EHLO; null before it gave one.' }),
  }),
});

export const TlsInfo = builder.objectRef<TlsValue>('TlsInfo').implement({
  description: 'The TLS protection of a connection.',
  fields: (t) => ({
    protocol: t.exposeString('protocol', { description: 'The protocol version, e.g. `TLSv1.3`.' }),
    cipher: t.exposeString('cipher', { description: 'The cipher suite, e.g. `TLS_AES_256_GCM_SHA384`.' }),
  }),
});

export const Envelope = builder.objectRef<EnvelopeValue>('Envelope').implement({
  description: 'The SMTP envelope of a message.',
  fields: (t) => ({
    mailFrom: t.exposeString('mailFrom', { description: 'MAIL FROM; empty for the null reverse-path (bounces).' }),
    rcptTo: t.exposeStringList('rcptTo', { description: 'RCPT TO, in the order given.' }),
    params: t.field({ type: 'JSON', description: 'MAIL FROM parameters (e.g. `SIZE`, `BODY`) as an object of strings.', resolve: (e) => e.params }),
  }),
});

export const HeaderSummary = builder.objectRef<HeaderSummaryValue>('HeaderSummary').implement({
  description: 'The main header fields of a message as received (RFC 5322 §3.6); each null when absent.',
  fields: (t) => ({
    from: t.exposeString('from', { nullable: true, description: 'The From field.' }),
    to: t.exposeString('to', { nullable: true, description: 'The To field.' }),
    subject: t.exposeString('subject', { nullable: true, description: 'The Subject field.' }),
    messageId: t.exposeString('messageId', { nullable: true, description: 'The Message-ID field.' }),
    date: t.exposeString('date', { nullable: true, description: 'The Date field, as written by the sender.' }),
  }),
});

const AuthenticationResult = builder.objectRef<AuthResultValue>('AuthenticationResult').implement({
  description: 'The result of one email authentication method (RFC 8601 style).',
  fields: (t) => ({
    result: t.exposeString('result', { description: 'The result keyword, e.g. `pass`, `fail`, `softfail`, `none`, `temperror`.' }),
    detail: t.exposeString('detail', { nullable: true, description: 'What was checked, e.g. the domain and selector; null when there is nothing to add.' }),
  }),
});

export const AuthenticationResults = builder.objectRef<AuthenticationResultsValue>('AuthenticationResults').implement({
  description: 'Email authentication of a received message; a method is null when it was not checked.',
  fields: (t) => ({
    spf: t.field({ type: AuthenticationResult, nullable: true, description: 'SPF (RFC 7208) of the envelope sender.', resolve: (a) => a.spf }),
    dkim: t.field({ type: AuthenticationResult, nullable: true, description: 'DKIM (RFC 6376) signatures.', resolve: (a) => a.dkim }),
    dmarc: t.field({ type: AuthenticationResult, nullable: true, description: 'DMARC (RFC 7489) of the From domain.', resolve: (a) => a.dmarc }),
    arc: t.field({ type: AuthenticationResult, nullable: true, description: 'ARC (RFC 8617) chain.', resolve: (a) => a.arc }),
  }),
});

export const QueuedRecipient = builder.objectRef<QueuedRecipientValue>('QueuedRecipient').implement({
  description: 'How one recipient was routed when its message was queued.',
  fields: (t) => ({
    address: t.exposeString('address', { description: 'The recipient address.' }),
    domain: t.exposeString('domain', { description: 'Its domain, lower case.' }),
    route: t.exposeString('route', { description: 'The transport chosen (e.g. relay, local, capture).' }),
    zone: t.exposeString('zone', { description: 'The sending zone.' }),
    priority: t.expose('priority', { type: Priority, description: 'The delivery priority.' }),
    notBefore: t.field({ type: 'DateTime', description: 'The first time it may be attempted.', resolve: (r) => r.notBefore }),
  }),
});

export const SessionCounts = builder.objectRef<SessionCountsValue>('SessionCounts').implement({
  description: 'What an SMTP session amounted to.',
  fields: (t) => ({
    messagesAccepted: t.exposeInt('messagesAccepted', { description: 'Messages accepted (250 to DATA).' }),
    messagesRejected: t.exposeInt('messagesRejected', { description: 'DATA transactions refused.' }),
    recipientsRejected: t.exposeInt('recipientsRejected', { description: 'RCPT TO commands refused.' }),
  }),
});

/** The fields of a delivery attempt, for `DeliveryAttempt` and `DeliveryAttemptedEvent` alike. */
export const deliveryAttemptFields = <P>(t: Fields<P>, of: (parent: P) => DeliveryAttemptValue): FieldMap => ({
  attemptId: t.id({ description: 'The attempt id; the recipient events of the attempt name it.', resolve: (p) => of(p).attemptId }),
  recipients: t.stringList({ description: 'The recipients tried together in this attempt.', resolve: (p) => of(p).recipients }),
  zone: t.string({ description: 'The sending zone that made the attempt.', resolve: (p) => of(p).zone }),
  localAddress: t.string({ nullable: true, description: 'The local IP address the connection was made from; null if not bound.', resolve: (p) => of(p).localAddress }),
  mxHost: t.string({ nullable: true, description: 'The MX host name tried; null for local transports.', resolve: (p) => of(p).mxHost }),
  mxAddress: t.string({ nullable: true, description: 'The IP address of the MX host; null when no connection was made.', resolve: (p) => of(p).mxAddress }),
  tls: t.field({ type: TlsInfo, nullable: true, description: 'TLS of the connection; null when in the clear or not connected.', resolve: (p) => of(p).tls }),
  reply: t.field({ type: SmtpReply, nullable: true, description: 'The SMTP reply that decided the attempt; null when there was none (e.g. connection failed).', resolve: (p) => of(p).reply }),
  durationMs: t.float({ description: 'How long the attempt took, in milliseconds.', resolve: (p) => of(p).durationMs }),
  outcome: t.field({ type: DeliveryOutcome, description: 'How the attempt ended.', resolve: (p) => of(p).outcome }),
  at: t.field({ type: 'DateTime', description: 'When the attempt ended.', resolve: (p) => of(p).at }),
});

/** The fields of a policy verdict, for `PolicyVerdict` and `PolicyEvaluatedEvent` alike. */
export const policyVerdictFields = <P>(t: Fields<P>, of: (parent: P) => PolicyVerdictValue): FieldMap => ({
  stage: t.field({ type: PolicyStage, description: 'The stage the plugin was asked at.', resolve: (p) => of(p).stage }),
  plugin: t.string({ description: 'The plugin that gave the verdict.', resolve: (p) => of(p).plugin }),
  verdict: t.field({ type: Verdict, description: 'What it decided.', resolve: (p) => of(p).verdict }),
  reply: t.field({ type: SmtpReply, nullable: true, description: 'The SMTP reply it gave the client, if any.', resolve: (p) => of(p).reply }),
  reason: t.string({ description: 'Why, in the plugin\'s words.', resolve: (p) => of(p).reason }),
  at: t.field({ type: 'DateTime', description: 'When the verdict was given.', resolve: (p) => of(p).at }),
});

/** The fields of an SMTP AUTH attempt, for `AuthAttempt` and `AuthAttemptedEvent` alike. Never the password. */
export const authAttemptFields = <P>(t: Fields<P>, of: (parent: P) => AuthAttemptValue): FieldMap => ({
  mechanism: t.string({ description: 'The SASL mechanism, e.g. `PLAIN` or `LOGIN`.', resolve: (p) => of(p).mechanism }),
  user: t.string({ description: 'The user name given.', resolve: (p) => of(p).user }),
  outcome: t.field({ type: AuthOutcome, description: 'Whether the credentials were accepted.', resolve: (p) => of(p).outcome }),
  at: t.field({ type: 'DateTime', description: 'When the attempt was answered.', resolve: (p) => of(p).at }),
});

export const DeliveryAttempt = builder.objectRef<DeliveryAttemptValue>('DeliveryAttempt').implement({
  description: 'One delivery attempt of a message to one destination, as its `DeliveryAttempted` event recorded it.',
  fields: (t) => deliveryAttemptFields(t, (d) => d),
});

export const PolicyVerdict = builder.objectRef<PolicyVerdictValue>('PolicyVerdict').implement({
  description: 'The verdict of one policy plugin at one stage, as its `PolicyEvaluated` event recorded it.',
  fields: (t) => ({
    ...policyVerdictFields(t, (d) => d),
    messageId: t.exposeID('messageId', { nullable: true, description: 'The message it concerned; null for verdicts before a message existed.' }),
  }),
});

export const AuthAttempt = builder.objectRef<AuthAttemptValue>('AuthAttempt').implement({
  description: 'One SMTP AUTH attempt of a session. The password is never recorded.',
  fields: (t) => authAttemptFields(t, (d) => d),
});
