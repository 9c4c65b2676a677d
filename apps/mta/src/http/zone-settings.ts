import type { ZoneConfig } from '@elemta/infra/config';
import type { ZoneSettings } from '@elemta/schema';

/** `delivery.zones` as the GraphQL context carries it: plain data, by name. */
export const zoneSettingsOf = (zones: Readonly<Record<string, ZoneConfig>>): ZoneSettings[] =>
  Object.entries(zones).sort(([a], [b]) => a.localeCompare(b)).map(([name, z]) => ({
    name,
    bindAddresses: [...z.bindAddresses],
    maxConnections: z.maxConnections,
    throttle: z.throttle ?? null,
    domainThrottle: z.domainThrottle ?? null,
    domainThrottles: Object.entries(z.domainThrottles).sort(([a], [b]) => a.localeCompare(b)).map(([domain, r]) => ({ domain, ...r })),
  }));
