import {
  asMessageId, DomainError, handleCommand, isUuid, messageDecider, messageStream, WrongExpectedVersionError,
  type AdminCommand, type EventStore,
} from '@elemta/domain';
import type { QueueReadModel } from '@elemta/projections';
import type { MessageCommands, QueueActionFailure, QueueActionInput, QueueActionResult } from '@elemta/schema';

/** A filter selects at most this many messages per call; call again for the rest. */
export const MAX_FILTER_SELECTION = 10_000;
/** Messages decided at once: enough to finish a large selection quickly without draining the pool. */
const CONCURRENCY = 16;

export type MessageCommandDeps = Readonly<{
  store: EventStore;
  queue: QueueReadModel;
  node: string;
  now: () => Date;
}>;

type Outcome = 'changed' | 'unchanged' | QueueActionFailure;

/**
 * Runs `work` over `items`, at most `limit` at a time. After the first rejection it starts no new item, waits for
 * those in flight, then rejects with that first error.
 */
const forEachLimited = async <T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> => {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (rejected) throw rejected.reason;
};

const select = async (queue: QueueReadModel, input: QueueActionInput): Promise<string[]> => {
  if ((input.messageIds === undefined) === (input.filter === undefined)) {
    throw new DomainError('BAD_SELECTION', 'give exactly one of messageIds and filter');
  }
  if (input.messageIds) return [...new Set(input.messageIds.map((id) => id.trim().toLowerCase()))];
  return queue.messageIdsMatching(input.filter!, MAX_FILTER_SELECTION);
};

/**
 * The administrative queue commands (hold, release, cancel, retry) over the event store. Each selected message is
 * decided on its own through `handleCommand` (read, decide, append with the expected version), with
 * `{ correlationId: messageId, causationId: null, actor, node }` as event metadata. A message the domain refuses
 * (a `DomainError`) or that keeps conflicting with concurrent writers becomes a failure and the others go on; any
 * other error rejects the call after the messages in flight finish (those already changed stay changed).
 */
export const createMessageCommands = (deps: MessageCommandDeps): MessageCommands => {
  const decideOne = async (type: AdminCommand['type'], messageId: string, input: QueueActionInput): Promise<Outcome> => {
    if (!isUuid(messageId)) return { messageId, code: 'MESSAGE_NOT_FOUND', message: `message ${messageId} does not exist` };
    const command = { type, data: { messageId, actor: input.actor, reason: input.reason }, metadata: { now: deps.now().toISOString() } } as AdminCommand;
    try {
      const { events } = await handleCommand(deps.store, messageDecider, messageStream(asMessageId(messageId)), command, {
        correlationId: messageId, causationId: null, actor: input.actor, node: deps.node,
      });
      return events.length > 0 ? 'changed' : 'unchanged';
    } catch (err) {
      if (err instanceof DomainError) return { messageId, code: err.code, message: err.message };
      if (err instanceof WrongExpectedVersionError) {
        return { messageId, code: 'CONCURRENT_UPDATE', message: `message ${messageId} kept changing; try again` };
      }
      throw err;
    }
  };

  const run = (type: AdminCommand['type']) => async (input: QueueActionInput): Promise<QueueActionResult> => {
    const ids = await select(deps.queue, input);
    const outcomes = new Map<string, Outcome>();
    await forEachLimited(ids, CONCURRENCY, async (id) => { outcomes.set(id, await decideOne(type, id, input)); });
    const all = ids.map((id) => outcomes.get(id)!);
    return {
      matched: ids.length,
      changed: all.filter((o) => o === 'changed').length,
      unchanged: all.filter((o) => o === 'unchanged').length,
      failures: all.filter((o): o is QueueActionFailure => typeof o === 'object'),
    };
  };

  return { hold: run('HoldMessage'), release: run('ReleaseMessage'), cancel: run('CancelMessage'), retry: run('RequestRetry') };
};
