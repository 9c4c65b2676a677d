import type { Priority, QueuedRecipient } from '../index.js';

export type RoutingPolicy = Readonly<{
  /** The route every domain takes unless `domains` names another (e.g. `capture`, `relay`). */
  defaultRoute: string;
  /** Lower-cased recipient domain → route name. */
  domains: Readonly<Record<string, string>>;
  defaultZone: string;
  defaultPriority: Priority;
}>;

/** The domain part of an address, lower-cased; '' when there is none. */
export const domainOf = (address: string): string => {
  const at = address.lastIndexOf('@');
  return at === -1 ? '' : address.slice(at + 1).toLowerCase();
};

/** Routes each envelope recipient. Pure: `now` becomes the first `notBefore`. */
export const planRecipients = (rcptTo: readonly string[], policy: RoutingPolicy, now: string): QueuedRecipient[] =>
  rcptTo.map((address) => {
    const domain = domainOf(address);
    return {
      address,
      domain,
      route: policy.domains[domain] ?? policy.defaultRoute,
      zone: policy.defaultZone,
      priority: policy.defaultPriority,
      notBefore: now,
    };
  });
