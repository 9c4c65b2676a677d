import { AUTHENTICATION_ANNOTATION, type AuthenticationResults, type Evaluation, type StageOutcome } from '@elemta/domain';
import { withoutForgedAuthResults } from '../smtp/forged-auth-results.js';
import { messageView } from '../smtp/message-view.js';
import type { PolicyPipeline } from './pipeline.js';
import type { SessionView, TransactionView } from './plugin-api.js';

export type Quarantine = Readonly<{ plugin: string; reason: string }>;

export type ContentStagesInput = Readonly<{
  /** The SMTP listener; null for messages submitted through the API. */
  listener: string | null;
  session: SessionView | null;
  transaction: TransactionView | null;
  messageId: string;
  /** The message with our trace header first. */
  body: Buffer;
  /** Our authserv-id (the hostname): Authentication-Results fields that claim it are removed first (RFC 8601 §5). */
  authservId: string;
  /** Annotations of the earlier stages. */
  annotations: Readonly<Record<string, string>>;
  /** A quarantine verdict of an earlier stage. */
  quarantine: Quarantine | null;
  signal?: AbortSignal;
}>;

export type ContentStagesResult =
  /** `evaluations`: those of the stages that passed, then the refusing stage's. */
  | Readonly<{ kind: 'refused'; stage: 'data' | 'queue'; outcome: StageOutcome & { reply: NonNullable<StageOutcome['reply']> }; evaluations: readonly Evaluation[] }>
  | Readonly<{ kind: 'passed'; body: Buffer; annotations: Record<string, string>; evaluations: Evaluation[]; quarantine: Quarantine | null }>;

/** A reject or tempfail verdict (with the reply to give); other verdicts let the message through. */
export const isRefusal = (outcome: StageOutcome): outcome is StageOutcome & { reply: NonNullable<StageOutcome['reply']> } =>
  outcome.reply !== null && (outcome.verdict === 'reject' || outcome.verdict === 'tempfail');

/**
 * The data and queue stages of one message, the same for SMTP and API submissions: Authentication-Results fields
 * forged with our authserv-id are removed, then each stage sees the message as the
 * stage before left it; headers that plugins add go on top (above our Received line, as a milter's would); annotations
 * accumulate; the first quarantine verdict is kept. The first refusal ends the run.
 */
export const runContentStages = async (pipeline: PolicyPipeline, input: ContentStagesInput): Promise<ContentStagesResult> => {
  let body = withoutForgedAuthResults(input.body, input.authservId);
  let annotations: Record<string, string> = { ...input.annotations };
  let quarantine = input.quarantine;
  const evaluations: Evaluation[] = [];
  for (const stage of ['data', 'queue'] as const) {
    if (!pipeline.hooks(stage, input.listener)) continue;
    const base = { listener: input.listener, session: input.session, transaction: input.transaction, annotations, ...(input.signal ? { signal: input.signal } : {}) };
    const outcome = stage === 'data'
      ? await pipeline.run('data', { ...base, args: { message: messageView(body) } })
      : await pipeline.run('queue', { ...base, args: { messageId: input.messageId, message: messageView(body) } });
    annotations = { ...annotations, ...outcome.annotations };
    if (isRefusal(outcome)) return { kind: 'refused', stage, outcome, evaluations: [...evaluations, ...outcome.evaluations] };
    evaluations.push(...outcome.evaluations);
    if (outcome.headers.length > 0) {
      const added = outcome.headers.map((h) => `${h.name}: ${h.value}\r\n`).join('');
      body = Buffer.concat([Buffer.from(added), body]);
    }
    if (outcome.verdict === 'quarantine') quarantine ??= { plugin: outcome.decidedBy!, reason: outcome.reason ?? 'quarantined' };
  }
  return { kind: 'passed', body, annotations, evaluations, quarantine };
};

const parseAuthentication = (value: string | undefined): AuthenticationResults | null => {
  if (!value) return null;
  try {
    return JSON.parse(value) as AuthenticationResults;
  } catch {
    return null;
  }
};

/** The email-auth plugin hands its results over as an annotation; MessageAccepted records them in a field of their own. */
export const splitAuthentication = (annotations: Readonly<Record<string, string>>) => {
  const { [AUTHENTICATION_ANNOTATION]: authentication, ...kept } = annotations;
  return { annotations: kept, authentication: parseAuthentication(authentication) };
};
