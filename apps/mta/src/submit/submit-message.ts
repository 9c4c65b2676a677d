import { DomainError, type Evaluation, type StageOutcome } from '@elemta/domain';
import type { ElemtaConfig, ListenerEntry } from '@elemta/infra/config';
import type { MessageSubmissions, SubmissionInput, SubmissionRefusedByPolicy, SubmissionResult } from '@elemta/schema';
import { isRefusal, runContentStages, splitAuthentication, type Quarantine } from '../policy/content-stages.js';
import type { PolicyPipeline } from '../policy/pipeline.js';
import type { TransactionView } from '../policy/plugin-api.js';
import { acceptMessage, type AcceptDeps } from '../smtp/accept-message.js';
import { rfc5322Date } from '../smtp/received-header.js';
import { prepareSubmission, type SubmissionLimits } from './prepare-submission.js';

/** The listener name API submissions are recorded under (MessageAccepted's `listener`, metrics). */
export const API_LISTENER = 'api';

type Log = { debug: (obj: object, msg: string) => void; info: (obj: object, msg: string) => void; error: (obj: object, msg: string) => void };
type Counter = { inc: (labels: Record<string, string | number>, value?: number) => void };

export type SubmissionDeps = Readonly<{
  accept: AcceptDeps;
  pipeline: PolicyPipeline;
  /** Those of the submission listener: API clients are held to what SMTP submission allows. */
  limits: SubmissionLimits;
  hostname: string;
  node: string;
  newId: () => string;
  now: () => Date;
  log: Log;
  metrics?: Readonly<{ messagesAccepted: Counter; messagesRejected: Counter }>;
}>;

/** The limits of the submission listener (of the first one, when several), else the SMTP defaults. */
export const submissionLimits = (smtp: ElemtaConfig['smtp'], entries: readonly ListenerEntry[]): SubmissionLimits => {
  const entry = entries.find((e) => e.role === 'submission');
  return { maxMessageSize: entry?.maxMessageSize ?? smtp.maxMessageSize, maxRecipients: entry?.maxRecipients ?? smtp.maxRecipients };
};

/** The trace header of RFC 5321 §4.4 for a message that came in over HTTP instead of SMTP. */
export const apiReceivedHeader = (trace: { keyId: string; hostname: string; id: string; recipient: string | null; date: Date }): string => {
  const forPart = trace.recipient ? `\r\n\tfor <${trace.recipient}>` : '';
  return `Received: from api (api-key ${trace.keyId})\r\n\tby ${trace.hostname} (Elemta) with HTTP id ${trace.id}${forPart};\r\n\t${rfc5322Date(trace.date)}\r\n`;
};

const refusedBy = (stage: string, outcome: StageOutcome & { reply: NonNullable<StageOutcome['reply']> }): SubmissionRefusedByPolicy => ({
  kind: 'policy', verdict: outcome.verdict === 'reject' ? 'reject' : 'tempfail', stage, plugin: outcome.decidedBy,
  reply: { code: outcome.reply.code, enhancedCode: outcome.reply.enhancedCode ?? null, text: outcome.reply.text },
});

type EnvelopeStages =
  | Readonly<{ kind: 'refused'; refusal: SubmissionRefusedByPolicy }>
  | Readonly<{ kind: 'passed'; annotations: Record<string, string>; evaluations: Evaluation[]; quarantine: Quarantine | null }>;

/**
 * The mail and rcpt stages, without a session. Unlike SMTP, where a refused recipient is left out and the rest go on,
 * a refusal at any recipient refuses the whole submission: the API answers once, for the whole message.
 */
const runEnvelopeStages = async (pipeline: PolicyPipeline, mailFrom: string, rcptTo: readonly string[]): Promise<EnvelopeStages> => {
  let annotations: Record<string, string> = {};
  const evaluations: Evaluation[] = [];
  let quarantine: Quarantine | null = null;
  const transaction = (accepted: readonly string[]): TransactionView => ({ mailFrom, params: {}, rcptTo: accepted });
  const steps: Array<{ stage: 'mail' | 'rcpt'; run: () => Promise<StageOutcome> }> = [
    // as over SMTP, the mail stage sees the sender in its arguments: the transaction starts once it is accepted
    { stage: 'mail', run: () => pipeline.run('mail', { listener: null, session: null, transaction: null, args: { address: mailFrom, params: {} }, annotations }) },
    ...rcptTo.map((address, i) => ({
      stage: 'rcpt' as const,
      run: () => pipeline.run('rcpt', { listener: null, session: null, transaction: transaction(rcptTo.slice(0, i)), args: { address }, annotations }),
    })),
  ];
  for (const step of steps) {
    if (!pipeline.hooks(step.stage, null)) continue;
    const outcome = await step.run();
    if (isRefusal(outcome)) return { kind: 'refused', refusal: refusedBy(step.stage, outcome) };
    evaluations.push(...outcome.evaluations);
    annotations = { ...annotations, ...outcome.annotations };
    if (outcome.verdict === 'quarantine') quarantine ??= { plugin: outcome.decidedBy!, reason: outcome.reason ?? 'quarantined' };
  }
  return { kind: 'passed', annotations, evaluations, quarantine };
};

/**
 * Submission through the API (as ZoneMTA's HTTP send): the checks of `prepareSubmission`, then the policy stages an
 * SMTP submission goes through (mail, rcpt per recipient, data, queue; no session, listener null), our Received line,
 * and `acceptMessage` with the key as actor. The result is known only once the events are durably appended.
 */
export const createMessageSubmissions = (deps: SubmissionDeps): MessageSubmissions => {
  const refuse = (result: SubmissionRefusedByPolicy, keyId: string): SubmissionResult => {
    deps.metrics?.messagesRejected.inc({ listener: API_LISTENER, code: result.reply.code });
    deps.log.info({ keyId, stage: result.stage, plugin: result.plugin, code: result.reply.code }, 'submission refused by policy');
    return result;
  };

  const send = async (input: SubmissionInput): Promise<SubmissionResult> => {
    const prepared = await prepareSubmission(input, deps.limits);
    if (prepared.kind === 'invalid') return prepared;
    const { mailFrom, rcptTo } = prepared;
    const envelope = await runEnvelopeStages(deps.pipeline, mailFrom, rcptTo);
    if (envelope.kind === 'refused') return refuse(envelope.refusal, input.keyId);
    const messageId = deps.newId();
    const now = deps.now();
    const trace = apiReceivedHeader({ keyId: input.keyId, hostname: deps.hostname, id: messageId, recipient: rcptTo.length === 1 ? rcptTo[0]! : null, date: now });
    const transaction: TransactionView = { mailFrom, params: {}, rcptTo };
    const content = await runContentStages(deps.pipeline, {
      listener: null, session: null, transaction, messageId, body: Buffer.concat([Buffer.from(trace), prepared.body]), authservId: deps.hostname,
      annotations: envelope.annotations, quarantine: envelope.quarantine,
    });
    if (content.kind === 'refused') return refuse(refusedBy(content.stage, content.outcome), input.keyId);
    const { annotations, authentication } = splitAuthentication(content.annotations);
    try {
      await acceptMessage(deps.accept, {
        messageId, sessionId: null, body: content.body, mailFrom, rcptTo, params: {}, client: null, listener: API_LISTENER,
        authUser: null, tls: null, actor: `api-key:${input.keyId}`, node: deps.node, now, annotations, authentication,
        evaluations: [...envelope.evaluations, ...content.evaluations], quarantine: content.quarantine,
      });
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause ?? err;
      if (cause instanceof DomainError) throw cause; // a typed result for the client
      deps.log.error({ err: cause, keyId: input.keyId }, 'submitted message not accepted');
      throw new Error('the message could not be stored; try again', { cause });
    }
    deps.metrics?.messagesAccepted.inc({ listener: API_LISTENER });
    deps.log.debug({ messageId, keyId: input.keyId, quarantined: content.quarantine !== null }, 'message accepted');
    return { kind: 'accepted', messageId, mailFrom, rcptTo };
  };

  return { send };
};
