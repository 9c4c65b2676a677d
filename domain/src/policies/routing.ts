import type { Priority, QueuedRecipient } from '../index.js';

/**
 * Picks the sending zone and priority of a recipient (ZoneMTA-style routing rules). Every condition a rule names must
 * hold; the first matching rule wins. Addresses and domains are compared case-insensitively, header values exactly
 * after trimming.
 */
export type ZoneRule = Readonly<{
  sender?: string;
  senderDomain?: string;
  recipientDomain?: string;
  header?: Readonly<{ name: string; value: string }>;
  zone?: string;
  priority?: Priority;
}>;

export type RoutingPolicy = Readonly<{
  /** The route every domain takes unless `domains` names another (e.g. `capture`, `relay`). */
  defaultRoute: string;
  /** Lower-cased recipient domain → route name. */
  domains: Readonly<Record<string, string>>;
  defaultZone: string;
  defaultPriority: Priority;
  rules?: readonly ZoneRule[];
}>;

/** What the rules may look at besides the recipient. */
export type RoutingContext = Readonly<{
  mailFrom: string;
  /** The first value of a header (case-insensitive name), or null. */
  header: (name: string) => string | null;
}>;

const noContext: RoutingContext = { mailFrom: '', header: () => null };

/** The domain part of an address, lower-cased and without a trailing root dot (`example.org.`); '' when there is none. */
export const domainOf = (address: string): string => {
  const at = address.lastIndexOf('@');
  return at === -1 ? '' : address.slice(at + 1).toLowerCase().replace(/\.$/, '');
};

const matches = (rule: ZoneRule, recipientDomain: string, context: RoutingContext): boolean =>
  (rule.sender === undefined || rule.sender.toLowerCase() === context.mailFrom.toLowerCase())
  && (rule.senderDomain === undefined || rule.senderDomain.toLowerCase() === domainOf(context.mailFrom))
  && (rule.recipientDomain === undefined || rule.recipientDomain.toLowerCase() === recipientDomain)
  && (rule.header === undefined || context.header(rule.header.name)?.trim() === rule.header.value);

/** Routes each envelope recipient. Pure: `now` becomes the first `notBefore`. */
export const planRecipients = (
  rcptTo: readonly string[], policy: RoutingPolicy, now: string, context: RoutingContext = noContext,
): QueuedRecipient[] =>
  rcptTo.map((address) => {
    const domain = domainOf(address);
    const rule = policy.rules?.find((r) => matches(r, domain, context));
    return {
      address,
      domain,
      route: (Object.hasOwn(policy.domains, domain) ? policy.domains[domain] : undefined) ?? policy.defaultRoute,
      zone: rule?.zone ?? policy.defaultZone,
      priority: rule?.priority ?? policy.defaultPriority,
      notBefore: now,
    };
  });
