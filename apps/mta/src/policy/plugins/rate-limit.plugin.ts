import { domainOf, slidingWindowRetryAfterSeconds } from '@elemta/domain';
import { RateLimitStore, rateLimitMigrations, runMigrations, type RateLimitKey } from '@elemta/infra/postgres';
import { z } from 'zod';
import { definePlugin, type HookContext, type HookResult, type Hooks } from '../plugin-api.js';
import { rateField, unmappedAddress } from './policy-plugin-fields.js';

const KEYS = ['client-ip', 'sender', 'auth-user', 'sender-domain'] as const;
const STAGES = ['connect', 'mail', 'rcpt', 'data'] as const;
type KeyKind = typeof KEYS[number];
type LimitedStage = typeof STAGES[number];

const DEFAULT_STAGE: Record<KeyKind, LimitedStage> = { 'client-ip': 'connect', sender: 'mail', 'auth-user': 'mail', 'sender-domain': 'mail' };

const ruleSchema = z.strictObject({
  /** What is counted: hits per client address, per envelope sender, per SMTP AUTH user or per sender domain. */
  key: z.enum(KEYS, { error: `must be one of ${KEYS.join(', ')}` }),
  /** E.g. `100/hour`. */
  limit: rateField(),
  /** Where a hit is counted: connections (connect), transactions (mail), recipients (rcpt) or messages (data). */
  stage: z.enum(STAGES, { error: `must be one of ${STAGES.join(', ')}` }).optional(),
}).transform((rule) => ({ key: rule.key, limit: rule.limit, stage: rule.stage ?? DEFAULT_STAGE[rule.key] }));

const configSchema = z.strictObject({
  rules: z.array(ruleSchema, { error: 'must be a list of rules such as { key: client-ip, limit: 100/hour }' })
    .min(1, 'must list at least one rule such as { key: client-ip, limit: 100/hour }'),
}).superRefine(({ rules }, ctx) => {
  const seen = new Map<string, number>();
  rules.forEach((rule, i) => {
    if (rule.stage === 'connect' && rule.key !== 'client-ip') {
      ctx.addIssue({ code: 'custom', path: ['rules', i, 'stage'], message: `${rule.key} is not known at the connect stage; count it at mail, rcpt or data` });
    }
    const id = counterOf(rule.stage, rule.key, rule.limit.windowSeconds);
    const earlier = seen.get(id);
    if (earlier !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['rules', i], message: `counts the same ${rule.key} hits per ${rule.limit.windowSeconds} s at ${rule.stage} as rule ${earlier}; keep one` });
    }
    seen.set(id, i);
  });
});

export type RateLimitConfig = z.output<typeof configSchema>;
type Rule = RateLimitConfig['rules'][number];

/** The counter a rule counts in; the stage is part of it, so connections and recipients of one client never mix. */
const counterOf = (stage: LimitedStage, key: KeyKind, windowSeconds: number) => `${stage}:${key}/${windowSeconds}`;

const senderOf = (ctx: HookContext<LimitedStage>): string | null => {
  const sender = ctx.stage === 'mail' ? (ctx.args as { address: string }).address : ctx.transaction?.mailFrom;
  // The null sender (bounces) would put every DSN of the world in one counter: the client-ip rules cover it.
  return sender && sender !== '<>' ? sender.toLowerCase() : null;
};

/** The value a rule counts for this hook call; null when the session does not have it (no AUTH, null sender). */
const valueOf = (key: KeyKind, ctx: HookContext<LimitedStage>): string | null => {
  switch (key) {
    case 'client-ip': return ctx.session ? unmappedAddress(ctx.session.client.address) : null;
    case 'auth-user': return ctx.session?.authUser ?? null;
    case 'sender': return senderOf(ctx);
    case 'sender-domain': {
      const domain = domainOf(senderOf(ctx) ?? '');
      return domain === '' ? null : domain;
    }
  }
};

const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * Sliding-window rate limits (`100/hour`) per client address, sender, AUTH user or sender domain, shared by every
 * node through PostgreSQL (two-bucket estimate, see `slidingWindowEstimate`). Each rule counts at one stage; a hit
 * over a limit is refused with a temporary failure (421 at connect, which ends the session; 450 later) and is not
 * counted. Rules whose key a session lacks are skipped. A database failure is the pipeline's `onError` verdict
 * (tempfail unless the plugin's entry says `continue`).
 */
export const rateLimitPlugin = definePlugin<RateLimitConfig>({
  name: 'rate-limit',
  parseConfig: (raw) => configSchema.parse(raw ?? {}),
  setup: async (config, services) => {
    await runMigrations(services.db, rateLimitMigrations);
    const store = new RateLimitStore(services.db);
    const pruner = setInterval(() => {
      store.prune().catch((err: unknown) => services.log.warn({ err }, 'rate-limit prune failed'));
    }, PRUNE_EVERY_MS);
    pruner.unref();
    const hookFor = (stage: LimitedStage) => {
      const rules = config.rules.filter((r) => r.stage === stage);
      return rules.length === 0 ? undefined : (ctx: HookContext<LimitedStage>) => check(store, rules, ctx);
    };
    const hooks: Hooks = { connect: hookFor('connect'), mail: hookFor('mail'), rcpt: hookFor('rcpt'), data: hookFor('data') };
    return { ...hooks, close: () => clearInterval(pruner) };
  },
});

const check = async (store: RateLimitStore, rules: readonly Rule[], ctx: HookContext<LimitedStage>): Promise<HookResult | undefined> => {
  const limits: (RateLimitKey & { rule: Rule; value: string })[] = [];
  for (const rule of rules) {
    const value = valueOf(rule.key, ctx);
    if (value !== null) limits.push({ ...rule.limit, key: `${counterOf(ctx.stage, rule.key, rule.limit.windowSeconds)}:${value}`, rule, value });
  }
  const outcome = await store.hit(limits);
  if (!outcome || outcome.admitted) return undefined;
  const refused = limits.find((l) => l.key === outcome.key)!;
  const retryIn = Math.max(1, Math.ceil(slidingWindowRetryAfterSeconds(outcome.limit, outcome.counts)));
  const text = `Rate limit exceeded for ${refused.rule.key}, try again later`;
  const reason = `${refused.rule.key} ${refused.value} over ${outcome.limit.count} per ${outcome.limit.windowSeconds} s; retry in ${retryIn} s`;
  ctx.log.info({ key: refused.rule.key, value: refused.value, limit: outcome.limit, retryIn }, 'rate limit exceeded');
  return ctx.stage === 'connect'
    ? { kind: 'tempfail', code: 421, enhancedCode: '4.7.0', text, reason }
    : { kind: 'tempfail', code: 450, enhancedCode: '4.7.1', text, reason };
};
