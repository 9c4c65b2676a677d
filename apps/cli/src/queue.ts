import { userInfo } from 'node:os';
import type { ElemtaConfig } from '@elemta/infra/config';
import { createMessageCommands, MAX_FILTER_SELECTION } from '@elemta/mta';
import { createQueueReadModel, viewMigrations, type QueueEntry, type QueueFilter, type QueueStatus } from '@elemta/projections';
import { commaList, parseOptions, UsageError, withUsage } from './cli-args.js';
import { stderrLogger, withStores } from './open-stores.js';

export const queueUsage = `Usage: elemta queue ls [--status S[,S]] [--zone Z] [--domain D] [--sender A] [--limit N] [--json]
       elemta queue hold|release|retry|cancel (<message id>... | [--domain D] [--sender A] [--zone Z]) [--reason text]`;

const STATUSES: readonly QueueStatus[] = ['queued', 'deferred', 'held', 'delivering'];
const ACTIONS = { hold: 'hold', release: 'release', retry: 'retry', cancel: 'cancel' } as const;
type Action = keyof typeof ACTIONS;
const PAGE = 200;

/** Who the events name: `cli:<os user>@<node>` (the OS user is `unknown` when it has no passwd entry). */
export const cliActor = (node: string): string => {
  let user = 'unknown';
  try { user = userInfo().username || user; } catch { /* no passwd entry, e.g. an arbitrary uid in a container */ }
  return `cli:${user}@${node}`;
};

const filterOptions = { zone: { type: 'string' }, domain: { type: 'string' }, sender: { type: 'string' } } as const;

const parseStatus = (value: string | undefined): QueueStatus[] | undefined => {
  const list = commaList('status', value);
  const bad = list?.filter((s) => !STATUSES.includes(s as QueueStatus));
  if (bad && bad.length > 0) throw new UsageError(`unknown status ${bad.join(', ')} (one of ${STATUSES.join(', ')})`);
  return list as QueueStatus[] | undefined;
};

const compact = <T extends Record<string, unknown>>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

const table = (rows: readonly QueueEntry[]): string => {
  const header = ['MESSAGE ID', 'RECIPIENT', 'STATUS', 'ZONE', 'ATTEMPTS', 'NEXT ATTEMPT', 'SENDER'];
  const cells = rows.map((r) => [r.messageId, r.recipient, r.status, r.zone, String(r.attempts), r.nextAttemptAt, r.mailFrom || '<>']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  return [header, ...cells].map((c) => c.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
};

const list = async (config: ElemtaConfig, argv: readonly string[]): Promise<number> => {
  const { values } = parseOptions(argv, {
    ...filterOptions, status: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' },
  });
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive integer');
  const status = parseStatus(values.status);
  const filter: QueueFilter = compact({ status, zone: values.zone, domain: values.domain, sender: values.sender });
  return withStores(config, stderrLogger(config), { attach: true, migrations: viewMigrations }, async ({ pool }) => {
    const queue = createQueueReadModel(pool);
    const rows: QueueEntry[] = [];
    let after: string | null = null;
    let totalCount = 0;
    for (;;) {
      const page = await queue.list({ filter, first: Math.min(PAGE, limit - rows.length), after });
      rows.push(...page.rows);
      totalCount = page.totalCount;
      if (!page.hasNextPage || rows.length >= limit) break;
      after = page.endCursor;
    }
    if (values.json) console.log(JSON.stringify({ totalCount, rows }, null, 2));
    else console.log(`${rows.length > 0 ? `${table(rows)}\n` : ''}${rows.length} of ${totalCount} queued recipients`);
    return 0;
  });
};

const act = async (config: ElemtaConfig, action: Action, argv: readonly string[]): Promise<number> => {
  const { values, positionals } = parseOptions(argv, { ...filterOptions, reason: { type: 'string' } }, true);
  const filter = compact({ zone: values.zone, domain: values.domain, sender: values.sender });
  const byFilter = Object.keys(filter).length > 0;
  if (byFilter === (positionals.length > 0)) throw new UsageError('give message ids, or at least one of --domain, --sender, --zone (not both)');
  const actor = cliActor(config.node);
  const reason = values.reason ?? `elemta queue ${action}`;
  return withStores(config, stderrLogger(config), { attach: true, migrations: viewMigrations }, async ({ pool, store }) => {
    const commands = createMessageCommands({ store, queue: createQueueReadModel(pool), node: config.node, now: () => new Date() });
    const result = await commands[ACTIONS[action]]({ ...(byFilter ? { filter } : { messageIds: positionals }), actor, reason });
    console.log(`matched: ${result.matched}, changed: ${result.changed}, unchanged: ${result.unchanged}, failed: ${result.failures.length}`);
    for (const f of result.failures) console.log(`  ${f.messageId}: ${f.code}: ${f.message}`);
    if (byFilter && result.matched >= MAX_FILTER_SELECTION) console.log(`(at most ${MAX_FILTER_SELECTION} messages per call: run it again for the rest)`);
    return result.failures.length === 0 ? 0 : 1;
  });
};

/**
 * `elemta queue`: lists the queue view, or holds, releases, retries or cancels messages through the same command
 * service as GraphQL (`createMessageCommands`), recording `cli:<os user>@<node>` as the actor. Exit 0 when no
 * message failed, 1 otherwise, 64 on bad arguments.
 */
export const queueCommand = (config: ElemtaConfig, argv: readonly string[]): Promise<number> =>
  withUsage(queueUsage, async () => {
    const [sub, ...rest] = argv;
    if (sub === 'ls') return list(config, rest);
    if (sub !== undefined && Object.hasOwn(ACTIONS, sub)) return act(config, sub as Action, rest);
    throw new UsageError(sub ? `unknown queue command: ${sub}` : 'missing queue command');
  });
