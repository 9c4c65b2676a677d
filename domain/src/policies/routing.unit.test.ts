import { describe, expect, it } from 'vitest';
import { domainOf, planRecipients, type RoutingContext, type RoutingPolicy, type ZoneRule } from './routing.js';

const now = '2026-11-20T10:00:00.000Z';
const base: RoutingPolicy = {
  defaultRoute: 'relay', domains: { 'local.test': 'maildir', 'capture.test': 'capture' }, defaultZone: 'default', defaultPriority: 'normal',
};
const withRules = (...rules: ZoneRule[]): RoutingPolicy => ({ ...base, rules });
const context = (mailFrom: string, headers: Record<string, string> = {}): RoutingContext => ({
  mailFrom,
  header: (name) => Object.entries(headers).find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1] ?? null,
});
/** [zone, priority] of one recipient. */
const zoneOf = (rcpt: string, policy: RoutingPolicy, ctx?: RoutingContext) => {
  const [r] = planRecipients([rcpt], policy, now, ctx);
  return [r?.zone, r?.priority];
};

describe('planRecipients: routes', () => {
  it('routes each recipient by its lower-cased domain, else by the default route', () =>
    expect(planRecipients(['a@local.test', 'b@Capture.TEST', 'c@example.net'], base, now)).toEqual([
      { address: 'a@local.test', domain: 'local.test', route: 'maildir', zone: 'default', priority: 'normal', notBefore: now },
      { address: 'b@Capture.TEST', domain: 'capture.test', route: 'capture', zone: 'default', priority: 'normal', notBefore: now },
      { address: 'c@example.net', domain: 'example.net', route: 'relay', zone: 'default', priority: 'normal', notBefore: now },
    ]));

  it('uses the default zone and priority when there are no rules', () =>
    expect([zoneOf('a@example.net', base), zoneOf('a@example.net', withRules())]).toEqual([['default', 'normal'], ['default', 'normal']]));

  it('gives the domain "constructor" (an Object.prototype key) the default route', () =>
    expect(planRecipients(['a@constructor'], base, now).map((r) => r.route)).toEqual(['relay']));
});

describe('planRecipients: zone rules', () => {
  it('lets the first matching rule win', () =>
    expect(zoneOf('a@example.net', withRules(
      { recipientDomain: 'example.org', zone: 'first' },
      { recipientDomain: 'example.net', zone: 'second', priority: 'high' },
      { recipientDomain: 'example.net', zone: 'third', priority: 'low' },
    ))).toEqual(['second', 'high']));

  it('matches on the exact sender, case-insensitively', () => {
    const policy = withRules({ sender: 'News@Example.org', zone: 'bulk', priority: 'low' });
    expect([zoneOf('a@example.net', policy, context('news@EXAMPLE.ORG')), zoneOf('a@example.net', policy, context('alice@example.org'))])
      .toEqual([['bulk', 'low'], ['default', 'normal']]);
  });

  it('matches on the sender domain, case-insensitively', () => {
    const policy = withRules({ senderDomain: 'Example.ORG', zone: 'org' });
    expect([zoneOf('a@example.net', policy, context('alice@example.org')), zoneOf('a@example.net', policy, context('alice@example.com'))])
      .toEqual([['org', 'normal'], ['default', 'normal']]);
  });

  it('does not match a sender domain rule for the null sender', () =>
    expect(zoneOf('a@example.net', withRules({ senderDomain: 'example.org', zone: 'org' }), context(''))).toEqual(['default', 'normal']));

  it('matches on the recipient domain, case-insensitively', () => {
    const policy = withRules({ recipientDomain: 'GMAIL.com', zone: 'gmail' });
    expect([zoneOf('x@Gmail.COM', policy), zoneOf('x@gmail.co', policy)]).toEqual([['gmail', 'normal'], ['default', 'normal']]);
  });

  it('matches on a header value after trimming, with a case-insensitive header name', () => {
    const policy = withRules({ header: { name: 'X-Campaign', value: 'spring' }, zone: 'campaign' });
    expect([
      zoneOf('a@example.net', policy, context('alice@example.org', { 'x-campaign': '  spring ' })),
      zoneOf('a@example.net', policy, context('alice@example.org', { 'X-Campaign': 'Spring' })),
      zoneOf('a@example.net', policy, context('alice@example.org')),
    ]).toEqual([['campaign', 'normal'], ['default', 'normal'], ['default', 'normal']]);
  });

  it('requires every condition of a rule to hold', () => {
    const policy = withRules({ senderDomain: 'example.org', recipientDomain: 'gmail.com', header: { name: 'X-Tier', value: 'gold' }, zone: 'vip' });
    const gold = { 'X-Tier': 'gold' };
    expect([
      zoneOf('x@gmail.com', policy, context('alice@example.org', gold)),
      zoneOf('x@gmail.com', policy, context('alice@example.com', gold)),
      zoneOf('x@yahoo.com', policy, context('alice@example.org', gold)),
      zoneOf('x@gmail.com', policy, context('alice@example.org', { 'X-Tier': 'silver' })),
    ]).toEqual([['vip', 'normal'], ['default', 'normal'], ['default', 'normal'], ['default', 'normal']]);
  });

  it('keeps the default zone for a rule that sets only the priority', () =>
    expect(zoneOf('a@example.net', withRules({ recipientDomain: 'example.net', priority: 'critical' }))).toEqual(['default', 'critical']));

  it('routes each recipient of one message by its own rule', () =>
    expect(planRecipients(['a@gmail.com', 'b@local.test'], withRules({ recipientDomain: 'gmail.com', zone: 'gmail' }), now)
      .map((r) => [r.route, r.zone])).toEqual([['relay', 'gmail'], ['maildir', 'default']]));

  it('starts every recipient at now', () =>
    expect(planRecipients(['a@x.test', 'b@y.test'], base, now).map((r) => r.notBefore)).toEqual([now, now]));
});

describe('domainOf', () => {
  it('lower-cases the part after the last @', () => expect(domainOf('"a@b"@Example.NET')).toBe('example.net'));
  it('drops the root dot of a fully qualified domain', () => expect(domainOf('bob@Example.NET.')).toBe('example.net'));

  it('is empty for an address without a domain', () => expect([domainOf('postmaster'), domainOf('')]).toEqual(['', '']));
});
