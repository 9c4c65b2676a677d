import type { SmtpReply } from '../events/common.js';
import { policyEvaluated, type PolicyEvaluated, type PolicyStage, type PolicyVerdict } from '../events/session-events.js';

export type { PolicyStage, PolicyVerdict };

/** A header a plugin adds to the stored message (e.g. `X-Spam-Flag`, `Authentication-Results`). */
export type TagHeader = Readonly<{ name: string; value: string }>;

/**
 * What one plugin's hook returns for one stage.
 * - `continue`: no opinion; the next plugin runs. `annotations` travel to later stages and into MessageAccepted.
 * - `tag`: no opinion on acceptance, but `headers` are added to the stored message (data stage) and recorded.
 * - `accept`: accepts at this stage; later plugins of the stage are skipped (e.g. an allow list before greylisting).
 * - `reject` (5xx) / `tempfail` (4xx): refuses the command with this reply.
 * - `quarantine`: the message is accepted (250) and held at once, with `reason`.
 * The first terminal verdict (accept, reject, tempfail, quarantine) ends the stage.
 */
export type HookResult =
  | Readonly<{ kind: 'continue'; annotations?: Readonly<Record<string, string>> }>
  | Readonly<{ kind: 'tag'; headers: readonly TagHeader[]; reason?: string; annotations?: Readonly<Record<string, string>> }>
  | Readonly<{ kind: 'accept'; reason?: string }>
  | Readonly<{ kind: 'reject'; code: number; enhancedCode: string; text: string; reason?: string }>
  | Readonly<{ kind: 'tempfail'; code: number; enhancedCode: string; text: string; reason?: string }>
  | Readonly<{ kind: 'quarantine'; reason: string; headers?: readonly TagHeader[]; annotations?: Readonly<Record<string, string>> }>;

/** One recorded verdict: becomes a `PolicyEvaluated` event. `continue` is not recorded. */
export type Evaluation = Readonly<{
  plugin: string;
  stage: PolicyStage;
  verdict: PolicyVerdict;
  reply: SmtpReply | null;
  reason: string;
}>;

/** The outcome of one stage after every plugin that ran. */
export type StageOutcome = Readonly<{
  verdict: 'continue' | 'accept' | 'reject' | 'tempfail' | 'quarantine';
  /** The reply to send for reject and tempfail. */
  reply: SmtpReply | null;
  /** The plugin whose terminal verdict ended the stage. */
  decidedBy: string | null;
  reason: string | null;
  headers: readonly TagHeader[];
  annotations: Readonly<Record<string, string>>;
  evaluations: readonly Evaluation[];
}>;

const COMMAND: Record<PolicyStage, string> = {
  connect: 'CONNECT', helo: 'EHLO', auth: 'AUTH', mail: 'MAIL', rcpt: 'RCPT', data: 'DATA', queue: 'DATA', delivery: 'DELIVERY',
};
const ENHANCED = /^([245])\.\d{1,3}\.\d{1,3}$/;
const HEADER_NAME = /^[!-9;-~]+$/; // RFC 5322 §2.2: printable ASCII except colon

/** Thrown by `checkResult` for a result a plugin may not return; the pipeline treats it like a thrown error. */
export class InvalidHookResultError extends Error {
  override readonly name = 'InvalidHookResultError';
}

const checkHeaders = (headers: unknown, kind: string): void => {
  if (!Array.isArray(headers)) throw new InvalidHookResultError(`${kind} needs a headers array`);
  for (const h of headers as TagHeader[]) {
    if (typeof h?.name !== 'string' || !HEADER_NAME.test(h.name)) throw new InvalidHookResultError(`invalid header name ${JSON.stringify(h?.name)}`);
    if (typeof h.value !== 'string' || /[\r\n\0]/.test(h.value.replace(/\r\n[ \t]/g, ''))) {
      throw new InvalidHookResultError(`header ${h.name} needs a value without bare line breaks or NUL`);
    }
  }
};

/** Annotations end up in events: strings only, and no NUL (PostgreSQL's jsonb cannot hold one). */
const checkAnnotations = (annotations: unknown): void => {
  if (annotations === undefined) return;
  if (typeof annotations !== 'object' || annotations === null || Array.isArray(annotations)) throw new InvalidHookResultError('annotations must be an object of strings');
  for (const [key, value] of Object.entries(annotations)) {
    if (typeof value !== 'string' || key.includes('\0') || value.includes('\0')) throw new InvalidHookResultError(`annotation ${JSON.stringify(key)} must be a string without NUL`);
  }
};

/**
 * Checks a hook's return value. A reject must carry a 5xx code, a tempfail a 4xx code, each with a matching enhanced
 * code (RFC 3463) and one line of text; tag headers need valid names and single-line values. Anything else is a
 * plugin bug, never a reply to send.
 */
export const checkResult = (result: unknown): HookResult => {
  if (result === undefined || result === null) return { kind: 'continue' };
  const r = result as { kind?: unknown };
  checkAnnotations((result as { annotations?: unknown }).annotations);
  const reason = (result as { reason?: unknown }).reason;
  if (reason !== undefined && (typeof reason !== 'string' || reason.includes('\0'))) throw new InvalidHookResultError('reason must be a string without NUL');
  switch (r.kind) {
    case 'continue': case 'accept': return result as HookResult;
    case 'quarantine': {
      if (typeof (result as { reason?: unknown }).reason !== 'string') throw new InvalidHookResultError('quarantine needs a reason');
      const headers = (result as { headers?: unknown }).headers;
      if (headers !== undefined) checkHeaders(headers, 'quarantine');
      return result as HookResult;
    }
    case 'tag': {
      checkHeaders((result as { headers?: unknown }).headers, 'tag');
      return result as HookResult;
    }
    case 'reject': case 'tempfail': {
      const { code, enhancedCode, text } = result as { code?: unknown; enhancedCode?: unknown; text?: unknown };
      const klass = r.kind === 'reject' ? 5 : 4;
      if (typeof code !== 'number' || !Number.isInteger(code) || Math.floor(code / 100) !== klass) {
        throw new InvalidHookResultError(`${r.kind} needs a ${klass}xx code, got ${String(code)}`);
      }
      const match = typeof enhancedCode === 'string' ? ENHANCED.exec(enhancedCode) : null;
      if (!match || Number(match[1]) !== klass) throw new InvalidHookResultError(`${r.kind} needs a ${klass}.x.x enhanced code, got ${String(enhancedCode)}`);
      if (typeof text !== 'string' || text.length === 0 || /[\r\n\0]/.test(text)) throw new InvalidHookResultError(`${r.kind} needs one line of text`);
      return result as HookResult;
    }
    default: throw new InvalidHookResultError(`unknown verdict ${JSON.stringify(r.kind)}`);
  }
};

/**
 * Folds the results of a stage's plugins, in the order they ran, into the stage outcome: the first terminal
 * verdict wins, tags and annotations of the plugins before it accumulate. Results after the first terminal one
 * are ignored (the pipeline does not run them).
 */
export const combineResults = (stage: PolicyStage, results: readonly Readonly<{ plugin: string; result: HookResult }>[]): StageOutcome => {
  const headers: TagHeader[] = [];
  const annotations: Record<string, string> = {};
  const evaluations: Evaluation[] = [];
  for (const { plugin, result } of results) {
    if (result.kind === 'continue' || result.kind === 'tag') {
      Object.assign(annotations, result.annotations);
      if (result.kind === 'tag') {
        headers.push(...result.headers);
        evaluations.push({ plugin, stage, verdict: 'tag', reply: null, reason: result.reason ?? result.headers.map((h) => h.name).join(', ') });
      }
      continue;
    }
    if (result.kind === 'quarantine') {
      // a quarantined message is still stored: what the plugin found goes with it
      headers.push(...(result.headers ?? []));
      Object.assign(annotations, result.annotations);
    }
    const reply = result.kind === 'reject' || result.kind === 'tempfail'
      ? { code: result.code, enhancedCode: result.enhancedCode, text: result.text, command: COMMAND[stage] }
      : null;
    const reason = result.kind === 'quarantine' ? result.reason : result.reason ?? reply?.text ?? 'accepted';
    evaluations.push({ plugin, stage, verdict: result.kind, reply, reason });
    return { verdict: result.kind, reply, decidedBy: plugin, reason, headers, annotations, evaluations };
  }
  return { verdict: 'continue', reply: null, decidedBy: null, reason: null, headers, annotations, evaluations };
};

/** The result a plugin's failure (thrown error, timeout, invalid result) turns into: `onError` of the config. */
export const failureResult = (onError: 'tempfail' | 'continue' | 'reject', what: string): HookResult =>
  onError === 'continue' ? { kind: 'continue' }
    : onError === 'reject' ? { kind: 'reject', code: 554, enhancedCode: '5.3.0', text: 'Policy check failed', reason: what }
    : { kind: 'tempfail', code: 451, enhancedCode: '4.3.0', text: 'Temporary policy failure, please try again later', reason: what };

/** The annotation the email-auth plugin leaves its results in (JSON); it becomes MessageAccepted's `authentication`. */
export const AUTHENTICATION_ANNOTATION = 'elemta.authentication';

/** The `PolicyEvaluated` events of some verdicts: in a session's stream (`messageId` null) or a message's. */
export const policyEvaluatedEvents = (
  evaluations: readonly Evaluation[], where: Readonly<{ sessionId: string | null; messageId: string | null; at: string }>,
): PolicyEvaluated[] => evaluations.map((e) => policyEvaluated({
  sessionId: where.sessionId ?? '', messageId: where.messageId, stage: e.stage, plugin: e.plugin, verdict: e.verdict,
  reply: e.reply, reason: e.reason, at: where.at,
}));
