import { greylistTriplet, type GreylistSettings } from '@elemta/domain';
import { GreylistStore, greylistMigrations, runMigrations } from '@elemta/infra/postgres';
import { z } from 'zod';
import { definePlugin, type HookResult } from '../plugin-api.js';
import { durationField } from './policy-plugin-fields.js';

const DAY = 86_400;

const integer = (min: number, max: number) =>
  z.number({ error: `must be a whole number from ${min} to ${max}` }).int(`must be a whole number from ${min} to ${max}`)
    .min(min, `must be a whole number from ${min} to ${max}`).max(max, `must be a whole number from ${min} to ${max}`);
const flag = () => z.boolean({ error: 'must be true or false' });

const configSchema = z.strictObject({
  /** A retry is accepted this long after the first attempt at the earliest. */
  delay: durationField(1, DAY).default(300),
  /** A triplet not retried successfully within this long after its first attempt is forgotten. */
  expire: durationField(60, 30 * DAY).default(4 * 3600),
  /** A triplet (and a whitelisted client network) keeps passing until unseen for this long. */
  autoWhitelist: durationField(3600, 365 * DAY).default(35 * DAY),
  /** After this many passed triplets, any mail from the client's network passes; 0 turns this off. */
  whitelistClientAfter: integer(0, 1_000_000).default(5),
  /** The client network of a triplet: large senders retry from other addresses of one pool. */
  ipv4Prefix: integer(8, 32).default(24),
  ipv6Prefix: integer(16, 128).default(64),
  /** Authenticated users' mail is ours: never greylisted by default. */
  skipAuthenticated: flag().default(true),
  /** Mail from `smtp.relay.networks` is ours too. */
  skipTrustedNetworks: flag().default(true),
}).refine((c) => c.delay < c.expire, { path: ['delay'], message: 'must be shorter than expire, or no retry could ever pass' });

export type GreylistConfig = z.output<typeof configSchema>;

const PRUNE_EVERY_MS = 15 * 60_000;

/**
 * Greylisting (RFC 6647) at the rcpt stage, shared by every node through PostgreSQL: the first attempt of a
 * (client network, sender, recipient) triplet is deferred with 451 4.7.1, a retry after `delay` passes, and a
 * passed triplet keeps passing (see `decideGreylist`). Authenticated and trusted clients are skipped by default.
 * A database failure is the pipeline's `onError` verdict (a tempfail by default, which a real MTA simply retries).
 */
export const greylistPlugin = definePlugin<GreylistConfig>({
  name: 'greylist',
  parseConfig: (raw) => configSchema.parse(raw ?? {}),
  setup: async (config, services) => {
    await runMigrations(services.db, greylistMigrations);
    const store = new GreylistStore(services.db);
    const settings: GreylistSettings = {
      delaySeconds: config.delay, expireSeconds: config.expire,
      autoWhitelistSeconds: config.autoWhitelist, whitelistClientAfter: config.whitelistClientAfter,
    };
    const prefixes = { ipv4: config.ipv4Prefix, ipv6: config.ipv6Prefix };
    const pruner = setInterval(() => {
      store.prune(settings).catch((err: unknown) => services.log.warn({ err }, 'greylist prune failed'));
    }, PRUNE_EVERY_MS);
    pruner.unref();
    return {
      rcpt: async ({ session, transaction, args }): Promise<HookResult | undefined> => {
        if (!session) return undefined;
        if (config.skipAuthenticated && session.authUser !== null) return undefined;
        if (config.skipTrustedNetworks && session.trustedNetwork) return undefined;
        const triplet = greylistTriplet({ clientAddress: session.client.address, sender: transaction?.mailFrom ?? '', recipient: args.address }, prefixes);
        const { verdict } = await store.check(triplet, settings);
        if (verdict.kind === 'pass') return undefined;
        const n = verdict.retryInSeconds;
        return {
          kind: 'tempfail', code: 451, enhancedCode: '4.7.1', text: `Greylisted, please try again in ${n} second${n === 1 ? '' : 's'}`,
          reason: `greylisted (${verdict.why}): ${triplet.clientNetwork} <${triplet.sender}> -> <${triplet.recipient}>`,
        };
      },
      close: () => clearInterval(pruner),
    };
  },
});
