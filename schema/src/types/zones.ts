import type { QueueSummary } from '@elemta/projections';
import { builder, type Rate as RateValue, type ZoneSettings } from '../builder.js';
import { ForbiddenError } from './queue-actions.js';
import { READERS, requireRole } from './roles.js';

/** A configured zone with its live queue counts. */
export type ZoneView = ZoneSettings & Readonly<{
  queued: number; deferred: number; held: number; delivering: number; pending: number; oldestAcceptedAt: string | null;
}>;

export const Rate = builder.objectRef<RateValue>('Rate').implement({
  description: 'A rate limit: at most `count` messages per `windowSeconds`.',
  fields: (t) => ({
    count: t.exposeInt('count', { description: 'Messages allowed per window.' }),
    windowSeconds: t.exposeInt('windowSeconds', { description: 'The window, in seconds.' }),
  }),
});

const DomainRate = builder.objectRef<ZoneSettings['domainThrottles'][number]>('DomainRate').implement({
  description: 'A rate limit for one destination domain.',
  fields: (t) => ({
    domain: t.exposeString('domain', { description: 'The destination domain.' }),
    count: t.exposeInt('count', { description: 'Messages allowed per window.' }),
    windowSeconds: t.exposeInt('windowSeconds', { description: 'The window, in seconds.' }),
  }),
});

const pendingIn = (status: string) => `Pending recipients in this zone that are ${status}.`;

export const Zone = builder.objectRef<ZoneView>('Zone').implement({
  description: 'A sending zone: the local addresses, concurrency and throttles deliveries use (configuration), and its queue now.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The zone name, as routing rules and queue entries refer to it.' }),
    bindAddresses: t.exposeStringList('bindAddresses', { description: 'Local addresses deliveries connect from; empty means the system default.' }),
    maxConnections: t.exposeInt('maxConnections', { description: 'The most concurrent outbound connections of this zone.' }),
    throttle: t.field({ type: Rate, nullable: true, description: 'The rate limit of the whole zone; null when unlimited.', resolve: (z) => z.throttle }),
    domainThrottle: t.field({
      type: Rate, nullable: true, description: 'The rate limit to any one destination domain; null when unlimited.', resolve: (z) => z.domainThrottle,
    }),
    domainThrottles: t.field({
      type: [DomainRate], description: 'Rate limits for named destination domains, overriding `domainThrottle`.', resolve: (z) => z.domainThrottles,
    }),
    queued: t.exposeInt('queued', { description: pendingIn('waiting for their first attempt') }),
    deferred: t.exposeInt('deferred', { description: pendingIn('waiting for a retry') }),
    held: t.exposeInt('held', { description: pendingIn('held') }),
    delivering: t.exposeInt('delivering', { description: pendingIn('being delivered now') }),
    pending: t.exposeInt('pending', { description: 'Every pending recipient in this zone.' }),
    oldestAcceptedAt: t.field({
      type: 'DateTime', nullable: true, description: "When this zone's oldest pending message was accepted; null when it has none.",
      resolve: (z) => z.oldestAcceptedAt,
    }),
    oldestAgeSeconds: t.int({
      nullable: true, description: "How long this zone's oldest pending message has waited, in whole seconds; null when it has none.",
      resolve: (z) => (z.oldestAcceptedAt ? Math.max(0, Math.floor((Date.now() - Date.parse(z.oldestAcceptedAt)) / 1000)) : null),
    }),
  }),
});

const ZoneList = builder.objectRef<Readonly<{ zones: readonly ZoneView[] }>>('ZoneList').implement({
  description: 'The configured sending zones.',
  fields: (t) => ({ zones: t.field({ type: [Zone], description: 'Every configured zone, by name.', resolve: (l) => l.zones }) }),
});

/** The configured zones, by name, each with its counts from the queue summary (zeros when it has nothing pending). */
export const toZones = (settings: readonly ZoneSettings[], summary: QueueSummary): ZoneView[] =>
  [...settings].sort((a, b) => a.name.localeCompare(b.name)).map((zone) => {
    const count = (status: string) => summary.byStatusAndZone.find((r) => r.zone === zone.name && r.status === status)?.count ?? 0;
    const total = summary.byZone.find((r) => r.zone === zone.name);
    return {
      ...zone, queued: count('queued'), deferred: count('deferred'), held: count('held'), delivering: count('delivering'),
      pending: total?.count ?? 0, oldestAcceptedAt: total?.oldestAcceptedAt ?? null,
    };
  });

builder.queryField('zones', (t) =>
  t.field({
    type: ZoneList,
    description: 'The sending zones as configured, with what each has in the queue now.',
    errors: { types: [ForbiddenError], union: { description: 'The result of `zones`: the zones, or why the caller may not read them.' } },
    resolve: async (_root, _args, ctx) => {
      requireRole(ctx.viewer, READERS, 'read the sending zones');
      return { zones: toZones(ctx.zones, await ctx.readModels.queue.summary()) };
    },
  }),
);
