import { isUuid } from '@elemta/domain';
import { builder } from '../builder.js';
import type { Context, MessageCommands, QueueActionFilter as QueueActionFilterValue, QueueActionFailure as FailureValue, QueueActionResult } from '../builder.js';
import { ErrorInterface } from './errors.js';
import { QueueStatus } from './queue.js';

export const MAX_ACTION_IDS = 1000;
export const MAX_REASON_LENGTH = 500;

/** Input the schema refuses before any command runs; `field` names the offending input field. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
  constructor(readonly code: string, message: string, readonly field: string) {
    super(message);
  }
}

/** The caller's role may not do this. */
export class ForbiddenError extends Error {
  override readonly name = 'ForbiddenError';
  readonly code = 'FORBIDDEN';
}

builder.objectType(InvalidInputError, {
  name: 'InvalidInputError',
  description: 'The input was refused before anything changed; `field` names the offending input field.',
  interfaces: [ErrorInterface],
  fields: (t) => ({ field: t.exposeString('field', { description: 'The input field at fault, e.g. `messageIds` or `reason`.' }) }),
});

builder.objectType(ForbiddenError, {
  name: 'ForbiddenError',
  description: "The caller's role may not do this; nothing changed.",
  interfaces: [ErrorInterface],
});

// The schema's only mutations so far; move this to a root types file when other areas add theirs.
builder.mutationType({ description: 'Changes. Each is recorded as events in the log, with the caller as actor.' });

export const QueueActionFilter = builder.inputType('QueueActionFilter', {
  description: 'Selects queued messages for a bulk action: those with at least one pending recipient matching every field given.',
  fields: (t) => ({
    sender: t.string({ description: 'The envelope sender, exact and case-insensitive; an empty string selects bounces.' }),
    domain: t.string({ description: 'A recipient domain, case-insensitive.' }),
    zone: t.string({ description: 'A sending zone, exact.' }),
    status: t.field({ type: [QueueStatus], description: 'Any of these queue statuses. An empty list is the same as omitting the field.' }),
  }),
});

export const QueueActionInput = builder.inputType('QueueActionInput', {
  description: `Which messages to act on (exactly one of \`messageIds\`, up to ${MAX_ACTION_IDS}, and \`filter\`, up to 10,000 messages) and why.`,
  fields: (t) => ({
    messageIds: t.idList({ description: `The messages, by id (1 to ${MAX_ACTION_IDS}).` }),
    filter: t.field({ type: QueueActionFilter, description: 'Or: the queued messages matching this filter (at least one field).' }),
    reason: t.string({ description: `Why, recorded in each event (at most ${MAX_REASON_LENGTH} characters; omit rather than send a blank one).` }),
  }),
});

const QueueActionFailure = builder.objectRef<FailureValue>('QueueActionFailure').implement({
  description: 'A selected message the action did not apply to, and why.',
  fields: (t) => ({
    messageId: t.exposeID('messageId', { description: 'The message.' }),
    code: t.exposeString('code', { description: 'A stable code such as `MESSAGE_NOT_HELD`, `MESSAGE_CANCELLED` or `MESSAGE_NOT_FOUND`.' }),
    message: t.exposeString('message', { description: 'A human-readable explanation.' }),
  }),
});

export const QueueActionPayload = builder.objectRef<QueueActionResult>('QueueActionPayload').implement({
  description: 'What a bulk queue action did. `matched` = `changed` + `unchanged` + the number of failures.',
  fields: (t) => ({
    matched: t.exposeInt('matched', { description: 'How many messages were selected.' }),
    changed: t.exposeInt('changed', { description: 'How many messages the action changed (one event each).' }),
    unchanged: t.exposeInt('unchanged', { description: 'How many were already as asked (e.g. holding a held message); no event.' }),
    failures: t.field({ type: [QueueActionFailure], description: 'The messages the action was refused for.', resolve: (r) => r.failures }),
  }),
});

type ActionInput = Readonly<{
  messageIds?: readonly (string | number)[] | null;
  filter?: Readonly<{ sender?: string | null; domain?: string | null; zone?: string | null; status?: QueueActionFilterValue['status'] | null }> | null;
  reason?: string | null;
}>;

const invalid = (code: string, message: string, field: string) => new InvalidInputError(code, message, field);

const toIds = (ids: readonly (string | number)[]): string[] => {
  if (ids.length === 0) throw invalid('BAD_SELECTION', 'messageIds is empty', 'messageIds');
  if (ids.length > MAX_ACTION_IDS) throw invalid('TOO_MANY_IDS', `at most ${MAX_ACTION_IDS} messageIds per call; got ${ids.length}`, 'messageIds');
  const normalised = [...new Set(ids.map((id) => String(id).trim().toLowerCase()))];
  const bad = normalised.find((id) => !isUuid(id));
  if (bad !== undefined) throw invalid('INVALID_MESSAGE_ID', `not a message id: ${JSON.stringify(bad)}`, 'messageIds');
  return normalised;
};

const toFilter = (input: NonNullable<ActionInput['filter']>): QueueActionFilterValue => {
  const { status, ...rest } = input;
  const given = Object.entries(rest).filter(([, value]) => value !== null && value !== undefined);
  const filter = { ...(Object.fromEntries(given) as { sender?: string; domain?: string; zone?: string }), ...(status?.length ? { status } : {}) };
  if (Object.keys(filter).length === 0) throw invalid('EMPTY_FILTER', 'filter needs at least one field; an empty one would select the whole queue', 'filter');
  return filter;
};

const toReason = (reason: string | null | undefined): string => {
  if (reason === null || reason === undefined) return '';
  const trimmed = reason.trim();
  if (trimmed === '') throw invalid('REASON_EMPTY', 'reason is blank; give one or leave it out', 'reason');
  if (trimmed.length > MAX_REASON_LENGTH) throw invalid('REASON_TOO_LONG', `reason is longer than ${MAX_REASON_LENGTH} characters`, 'reason');
  return trimmed;
};

/** Checks the input and the caller's role and returns the command input; throws `InvalidInputError` or `ForbiddenError`. */
export const toQueueAction = (input: ActionInput, viewer: Context['viewer']) => {
  if (viewer.role !== 'admin' && viewer.role !== 'operator') throw new ForbiddenError(`the ${viewer.role} role may not change the queue`);
  const hasIds = input.messageIds !== null && input.messageIds !== undefined;
  const hasFilter = input.filter !== null && input.filter !== undefined;
  if (hasIds === hasFilter) throw invalid('BAD_SELECTION', 'give exactly one of messageIds and filter', hasIds ? 'filter' : 'messageIds');
  const selection = input.messageIds ? { messageIds: toIds(input.messageIds) } : { filter: toFilter(input.filter!) };
  return { ...selection, actor: `api-key:${viewer.id}`, reason: toReason(input.reason) };
};

const queueAction = (field: string, command: keyof MessageCommands, description: string) =>
  builder.mutationField(field, (t) =>
    t.field({
      type: QueueActionPayload,
      description,
      errors: {
        types: [InvalidInputError, ForbiddenError],
        union: { description: `The result of \`${field}\`: the payload, or why nothing was done.` },
      },
      args: { input: t.arg({ type: QueueActionInput, required: true, description: 'Which messages, and why.' }) },
      resolve: (_root, { input }, ctx) => ctx.commands[command](toQueueAction(input, ctx.viewer)),
    }),
  );

queueAction('holdMessages', 'hold', 'Holds messages: nothing is delivered until they are released. Holding a held message changes nothing.');
queueAction('releaseMessages', 'release', 'Releases held messages; their pending recipients become due as scheduled.');
queueAction('cancelMessages', 'cancel', 'Cancels messages: every pending recipient is given up, without a bounce to the sender.');
queueAction('retryMessages', 'retry', 'Makes the pending recipients of messages due now. Held messages must be released first.');
