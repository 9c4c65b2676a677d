import { BlockList, isIP } from 'node:net';
import {
  addressPatternProblem, decideAccess, matchAddressAccess, parseAddressPattern,
  type AccessDecision, type AccessMatch, type AddressAccessList, type AddressPattern,
} from '@elemta/domain';
import { z } from 'zod';
import { definePlugin, type HookResult, type Hooks } from '../plugin-api.js';
import { networkField, unmappedAddress, type Network } from './policy-plugin-fields.js';

const PATTERN_HELP = 'must be an address pattern: "user@example.org", "example.org", "@example.org", "*.example.org", "user@" or "<>"';

const addressPattern = z.string({ error: PATTERN_HELP }).transform((value, ctx): AddressPattern => {
  const problem = addressPatternProblem(value);
  if (problem) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} ${problem}` });
    return z.NEVER;
  }
  return parseAddressPattern(value);
});

// Only for a value that is no object at all: unknown keys keep zod's message, which names them.
const listsError = (issue: { code: string }) => (issue.code === 'invalid_type' ? 'must be { allow: [...], deny: [...] }' : undefined);

const addressLists = z.strictObject({
  allow: z.array(addressPattern, { error: 'must be a list of address patterns' }).default([]),
  deny: z.array(addressPattern, { error: 'must be a list of address patterns' }).default([]),
}, { error: listsError }).prefault({});

const clientLists = z.strictObject({
  allow: z.array(networkField(), { error: 'must be a list of IP addresses or CIDR blocks' }).default([]),
  deny: z.array(networkField(), { error: 'must be a list of IP addresses or CIDR blocks' }).default([]),
}, { error: listsError }).prefault({});

const configSchema = z.strictObject({
  /** Envelope senders (MAIL FROM), checked at the mail stage. */
  senders: addressLists,
  /** Envelope recipients (RCPT TO), checked at the rcpt stage. */
  recipients: addressLists,
  /** Client addresses, checked at the connect stage. */
  clients: clientLists,
});

export type AccessListsConfig = z.output<typeof configSchema>;

type ClientLists = Readonly<{ allow: readonly Network[]; deny: readonly Network[] }>;

/**
 * Client matching through `node:net`'s BlockList: one list per verdict answers "any match?" at once, and only a
 * client that matches is checked entry by entry, to learn the longest (most specific) matching prefix.
 */
const clientMatcher = (lists: ClientLists) => {
  const compile = (networks: readonly Network[]) => {
    const all = new BlockList();
    const entries = networks.map((network) => {
      const one = new BlockList();
      for (const list of [all, one]) list.addSubnet(network.address, network.prefix, network.family);
      return { network, one };
    });
    return { all, entries };
  };
  const allow = compile(lists.allow);
  const deny = compile(lists.deny);
  return (address: string): AccessMatch[] => {
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    return ([['allow', allow], ['deny', deny]] as const).flatMap(([verdict, compiled]) => !compiled.all.check(address, family) ? [] :
      compiled.entries.filter((e) => e.network.family === family && e.one.check(address, family))
        .map((e) => ({ verdict, pattern: e.network.text, specificity: e.network.prefix })));
  };
};

const isEmpty = (lists: Readonly<{ allow: readonly unknown[]; deny: readonly unknown[] }>) => lists.allow.length === 0 && lists.deny.length === 0;

const verdictOf = (
  decision: AccessDecision, what: string, refusal: Readonly<{ code: number; enhancedCode: string; text: string }>,
): HookResult | undefined => {
  if (decision.verdict === 'none') return undefined;
  const reason = `${what} matches ${decision.verdict} entry ${decision.pattern}`;
  return decision.verdict === 'allow' ? { kind: 'accept', reason } : { kind: 'reject', ...refusal, reason };
};

/**
 * Allow and deny lists for clients (connect stage), senders (mail stage) and recipients (rcpt stage), like
 * Postfix's access tables. The most specific entry decides; a deny refuses the command, an allow accepts it, which
 * skips the plugins after this one at that stage (only at that stage: an allowed client still meets the rcpt-stage
 * plugins). Address patterns are case-insensitive.
 */
export const accessListsPlugin = definePlugin<AccessListsConfig>({
  name: 'access-lists',
  parseConfig: (raw) => configSchema.parse(raw ?? {}),
  setup: (config) => {
    const hooks: Hooks = {};
    if (!isEmpty(config.clients)) {
      const matchClient = clientMatcher(config.clients);
      hooks.connect = ({ session }) => {
        if (!session) return undefined;
        const address = unmappedAddress(session.client.address);
        if (isIP(address) === 0) return undefined;
        return verdictOf(decideAccess(matchClient(address)), `client ${address}`,
          { code: 554, enhancedCode: '5.7.1', text: `Client host [${address}] rejected: access denied` });
      };
    }
    if (!isEmpty(config.senders)) {
      const senders: AddressAccessList = config.senders;
      hooks.mail = ({ args }) => {
        const sender = args.address === '<>' ? '' : args.address;
        return verdictOf(decideAccess(matchAddressAccess(senders, sender)), `sender <${sender}>`,
          { code: 550, enhancedCode: '5.7.1', text: 'Sender address rejected: access denied' });
      };
    }
    if (!isEmpty(config.recipients)) {
      const recipients: AddressAccessList = config.recipients;
      hooks.rcpt = ({ args }) => verdictOf(decideAccess(matchAddressAccess(recipients, args.address)), `recipient <${args.address}>`,
        { code: 550, enhancedCode: '5.7.1', text: 'Recipient address rejected: access denied' });
    }
    return hooks;
  },
});
