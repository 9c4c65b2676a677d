import { builder } from '../builder.js';
import type { Context, Role } from '../builder.js';
import type { SubmissionAccepted, SubmissionFields, SubmissionInput, SubmissionResult } from '../submissions.js';
import { ErrorInterface } from './errors.js';
import { ForbiddenError, InvalidInputError } from './queue-actions.js';
import { requireRole } from './roles.js';

const SENDERS: readonly Role[] = ['admin', 'integrator'];

/** A policy plugin refused the message, with the reply an SMTP client would have got; nothing was stored. */
export class PolicyRejectedError extends Error {
  override readonly name = 'PolicyRejectedError';
  constructor(
    readonly code: 'POLICY_REJECTED' | 'POLICY_TEMPFAIL', message: string, readonly replyCode: number,
    readonly enhancedCode: string | null, readonly text: string, readonly plugin: string | null, readonly stage: string,
  ) {
    super(message);
  }
}

builder.objectType(PolicyRejectedError, {
  name: 'PolicyRejectedError',
  description: 'A policy plugin refused the message, as it would have over SMTP; nothing was stored. `code` is `POLICY_REJECTED` (permanent: do not retry as is) or `POLICY_TEMPFAIL` (retry later).',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    replyCode: t.exposeInt('replyCode', { description: 'The SMTP reply code, e.g. 550 or 451.' }),
    enhancedCode: t.exposeString('enhancedCode', { nullable: true, description: 'The enhanced status code (RFC 3463), e.g. `5.7.1`.' }),
    text: t.exposeString('text', { description: 'The reply text.' }),
    plugin: t.exposeString('plugin', { nullable: true, description: 'The plugin whose verdict refused the message.' }),
    stage: t.exposeString('stage', { description: 'The policy stage that refused it: `mail`, `rcpt`, `data` or `queue`.' }),
  }),
});

const SendMessageEnvelope = builder.inputType('SendMessageEnvelope', {
  description: 'The SMTP envelope: who bounces go to, and who the message is delivered to (Bcc recipients included).',
  fields: (t) => ({
    from: t.string({ required: true, description: 'The envelope sender (MAIL FROM), a bare address.' }),
    to: t.stringList({ required: true, description: 'The envelope recipients (RCPT TO), bare addresses.' }),
  }),
});

const MessageHeaderInput = builder.inputType('MessageHeaderInput', {
  description: 'One header field of a composed message.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'The field name, e.g. `X-Campaign`.' }),
    value: t.string({ required: true, description: 'The value, on one line (it is encoded as needed).' }),
  }),
});

const MessageFieldsInput = builder.inputType('MessageFieldsInput', {
  description: 'A message to compose as MIME. Addresses may be bare or `Name <address>`.',
  fields: (t) => ({
    from: t.string({ required: true, description: 'The From header.' }),
    to: t.stringList({ description: 'The To header.' }),
    cc: t.stringList({ description: 'The Cc header.' }),
    bcc: t.stringList({ description: 'Recipients left out of the headers; they are only in the envelope.' }),
    subject: t.string({ description: 'The Subject.' }),
    text: t.string({ description: 'The plain-text body.' }),
    html: t.string({ description: 'The HTML body; with `text`, the message is multipart/alternative.' }),
    headers: t.field({ type: [MessageHeaderInput], description: 'More header fields, in order.' }),
    messageId: t.string({ description: 'The Message-ID, e.g. `<order-1234@shop.example>`; generated when omitted.' }),
  }),
});

export const SendMessageInput = builder.inputType('SendMessageInput', {
  description: 'A message to submit: exactly one of `raw` and `message`, and optionally its envelope.',
  fields: (t) => ({
    envelope: t.field({ type: SendMessageEnvelope, description: "The SMTP envelope; when omitted, the content's From is the sender and its To, Cc and Bcc the recipients." }),
    raw: t.string({ description: 'The message as RFC 5322 text (headers, an empty line, the body). Bare LF line ends become CRLF.' }),
    message: t.field({ type: MessageFieldsInput, description: 'Or: the fields of a message to compose.' }),
  }),
});

const SendMessagePayload = builder.objectRef<SubmissionAccepted>('SendMessagePayload').implement({
  description: 'A message accepted for delivery: stored, with its MessageAccepted event durably appended.',
  fields: (t) => ({
    messageId: t.exposeID('messageId', { description: 'The id of the new message (a UUIDv7), for `message(id:)` and `messageUpdated(id:)`.' }),
    mailFrom: t.exposeString('mailFrom', { description: 'The envelope sender used.' }),
    recipients: t.stringList({ description: 'The envelope recipients used.', resolve: (r) => r.rcptTo }),
  }),
});

type FieldsArg = Readonly<{
  from: string; to?: readonly string[] | null; cc?: readonly string[] | null; bcc?: readonly string[] | null; subject?: string | null;
  text?: string | null; html?: string | null; headers?: readonly { name: string; value: string }[] | null; messageId?: string | null;
}>;
type SendArgs = Readonly<{ envelope?: { from: string; to: readonly string[] } | null; raw?: string | null; message?: FieldsArg | null }>;

const toFields = (m: FieldsArg): SubmissionFields => ({
  from: m.from, to: m.to ?? [], cc: m.cc ?? [], bcc: m.bcc ?? [], subject: m.subject ?? null, text: m.text ?? null,
  html: m.html ?? null, headers: m.headers ?? [], messageId: m.messageId ?? null,
});

/** Checks the role and the shape of the input; the submission service checks the rest. */
export const toSubmission = (input: SendArgs, viewer: Context['viewer']): SubmissionInput => {
  requireRole(viewer, SENDERS, 'send messages');
  const hasRaw = input.raw !== null && input.raw !== undefined;
  const hasFields = input.message !== null && input.message !== undefined;
  if (hasRaw === hasFields) throw new InvalidInputError('BAD_CONTENT', 'give exactly one of raw and message', hasRaw ? 'message' : 'raw');
  return {
    envelope: input.envelope ? { from: input.envelope.from, to: input.envelope.to } : null,
    content: hasRaw ? { kind: 'raw', raw: input.raw! } : { kind: 'fields', fields: toFields(input.message!) },
    keyId: viewer.id,
  };
};

/** The accepted payload, or the refusal as the typed error it is. */
export const fromSubmissionResult = (result: SubmissionResult): SubmissionAccepted => {
  if (result.kind === 'accepted') return result;
  if (result.kind === 'invalid') throw new InvalidInputError(result.code, result.message, result.field);
  const { reply } = result;
  const code = result.verdict === 'reject' ? 'POLICY_REJECTED' : 'POLICY_TEMPFAIL';
  throw new PolicyRejectedError(code, `refused by policy: ${reply.code} ${reply.enhancedCode ?? ''} ${reply.text}`.replace(/\s+/g, ' '),
    reply.code, reply.enhancedCode, reply.text, result.plugin, result.stage);
};

builder.mutationField('sendMessage', (t) =>
  t.field({
    type: SendMessagePayload,
    description: 'Submits a message for delivery, through the same checks, policy stages and events as SMTP submission, with this API key as the actor. For admin and integrator keys.',
    errors: {
      types: [InvalidInputError, ForbiddenError, PolicyRejectedError],
      union: { description: 'The result of `sendMessage`: the accepted message, or why nothing was stored.' },
    },
    args: { input: t.arg({ type: SendMessageInput, required: true, description: 'The message and, optionally, its envelope.' }) },
    resolve: async (_root, { input }, ctx) => fromSubmissionResult(await ctx.submissions.send(toSubmission(input, ctx.viewer))),
  }),
);
