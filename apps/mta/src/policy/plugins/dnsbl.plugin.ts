import {
  classifyDnsblAnswer, dnsblQueryName, dnsblReason, dnsblReplyText, formatIpAddress, parseIpAddress, type IpAddress,
} from '@elemta/domain';
import { z } from 'zod';
import { definePlugin, type HookResult, type PluginLog, type PluginServices, type SessionView } from '../plugin-api.js';
import { durationField } from './policy-plugin-fields.js';

const ZONE = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.?$/i;
const RETURN_CODE = /^127\.(25[0-5]|2[0-4]\d|1?\d?\d)\.(25[0-5]|2[0-4]\d|1?\d?\d)\.(25[0-5]|2[0-4]\d|1?\d?\d)$/;

const zoneSchema = z.strictObject({
  /** The blocklist's DNS zone, e.g. `zen.spamhaus.org`. */
  zone: z.string({ error: 'must be a DNS zone such as "zen.example.org"' }).trim().toLowerCase()
    .regex(ZONE, 'must be a DNS zone such as "zen.example.org"').transform((zone) => zone.replace(/\.$/, '')),
  /** What a listing does: refuse the client (554), defer it (421), or only add `X-Elemta-DNSBL: <zone>` to its mail. */
  action: z.enum(['reject', 'tempfail', 'tag'], { error: 'must be reject, tempfail or tag' }).default('reject'),
  /** Only these answers count as listings (lists with one code per reason); default: any 127.0.0.0/8 code. */
  returnCodes: z.array(z.string().regex(RETURN_CODE, 'must be an address in 127.0.0.0/8 such as "127.0.0.2"'),
    { error: 'must be a list of addresses such as ["127.0.0.2", "127.0.0.3"]' }).min(1, 'must list at least one code, or be left out').optional(),
}, { error: (issue) => (issue.code === 'invalid_type' ? 'must be { zone, action, returnCodes }' : undefined) });

const configSchema = z.strictObject({
  zones: z.array(zoneSchema, { error: 'must be a list of blocklists such as [{ zone: "zen.example.org", action: "reject" }]' })
    .min(1, 'must list at least one blocklist such as { zone: "zen.example.org", action: "reject" }'),
  skipTrustedNetworks: z.boolean({ error: 'must be true or false' }).default(true),
  /** On listeners where clients authenticate (submission, smtps), hold a refusal until MAIL and drop it for authenticated users. */
  skipAuthenticated: z.boolean({ error: 'must be true or false' }).default(true),
  /** The longest the blocklists may take, all lookups together; keep it below the plugin's hook timeout (5 s by default). */
  lookupTimeout: durationField(0.1, 60).default(3),
}).superRefine(({ zones }, ctx) => {
  zones.forEach((entry, i) => {
    if (zones.findIndex((other) => other.zone === entry.zone) < i) {
      ctx.addIssue({ code: 'custom', path: ['zones', i, 'zone'], message: `${entry.zone} is listed twice` });
    }
  });
});

export type DnsblConfig = z.output<typeof configSchema>;
type Zone = DnsblConfig['zones'][number];

/** Zones (space-separated) whose listing of the client turns into an `X-Elemta-DNSBL` header at the data stage. */
export const DNSBL_TAGS_ANNOTATION = 'dnsbl.tags';
/** A refusal held from connect until MAIL, for a client that may still authenticate (JSON of `HeldRefusal`). */
export const DNSBL_HELD_ANNOTATION = 'dnsbl.held';

type HeldRefusal = Readonly<{ action: 'reject' | 'tempfail'; text: string; reason: string }>;
type Listing = Readonly<{ zone: Zone; name: string; codes: readonly string[] }>;

const TIMED_OUT = Symbol('timed out');

/** `promise`, or TIMED_OUT once `deadline` passes. */
const before = <T>(promise: Promise<T>, deadline: Promise<typeof TIMED_OUT>) => Promise.race([promise, deadline]);

/** One zone's verdict on the client: a listing, or null (not listed, or the blocklist failed: logged, never fatal). */
const lookUp = async (
  dns: PluginServices['dns'], log: PluginLog, ip: IpAddress, zone: Zone, deadline: Promise<typeof TIMED_OUT>,
): Promise<Listing | null> => {
  const name = dnsblQueryName(ip, zone.zone);
  try {
    const answer = await before(dns.lookup(name, 'A'), deadline);
    if (answer === TIMED_OUT) {
      log.warn({ zone: zone.zone, name }, 'blocklist lookup timed out; client not checked against it');
      return null;
    }
    const verdict = classifyDnsblAnswer(answer, zone.returnCodes ?? null);
    if (!verdict.listed && verdict.errorCodes.length > 0) {
      log.warn({ zone: zone.zone, name, codes: verdict.errorCodes }, 'blocklist answered with an error code; check access to it');
    }
    return verdict.listed ? { zone, name, codes: verdict.codes } : null;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') return null; // not listed
    log.warn({ zone: zone.zone, name, err }, 'blocklist lookup failed; client not checked against it');
    return null;
  }
};

/** The reason the blocklist publishes in TXT, if it answers in time. */
const reasonOf = async (dns: PluginServices['dns'], listing: Listing, deadline: Promise<typeof TIMED_OUT>): Promise<string | null> => {
  try {
    const txt = await before(dns.lookup(listing.name, 'TXT'), deadline);
    return txt === TIMED_OUT ? null : dnsblReason(txt);
  } catch {
    return null;
  }
};

/** The client's address as shown in replies, and parsed; null for a client that has no IP address. */
const clientIp = (session: SessionView): { ip: IpAddress; shown: string } | null => {
  const ip = parseIpAddress(session.client.address);
  return ip ? { ip, shown: formatIpAddress(ip) } : null;
};

const refusalAt = (stage: 'connect' | 'mail', held: HeldRefusal): HookResult => held.action === 'reject'
  ? { kind: 'reject', code: 554, enhancedCode: '5.7.1', text: held.text, reason: held.reason }
  : { kind: 'tempfail', code: stage === 'connect' ? 421 : 450, enhancedCode: '4.7.1', text: held.text, reason: held.reason };

/**
 * DNS blocklists (RFC 5782) at the connect stage, through Elemta's resolver. All zones are looked up at once; the
 * first listing zone (in config order) whose action is `reject` refuses the client with 554 5.7.1 (or `tempfail`,
 * 421 4.7.1), naming the zone and its TXT reason. `tag` listings are remembered in the session's annotations and
 * become `X-Elemta-DNSBL: <zone>` headers at the data stage. NXDOMAIN means not listed; a blocklist that fails,
 * times out or answers an error code is logged at warn and ignored: a broken blocklist must never stop mail.
 */
export const dnsblPlugin = definePlugin<DnsblConfig>({
  name: 'dnsbl',
  parseConfig: (raw) => configSchema.parse(raw ?? {}),
  setup: (config, services) => ({
    connect: async ({ session, log }) => {
      if (!session || (config.skipTrustedNetworks && session.trustedNetwork)) return undefined;
      const client = clientIp(session);
      if (!client) return undefined;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<typeof TIMED_OUT>((resolve) => { timer = setTimeout(() => resolve(TIMED_OUT), config.lookupTimeout * 1000); });
      try {
        const listings = (await Promise.all(config.zones.map((zone) => lookUp(services.dns, log, client.ip, zone, deadline))))
          .filter((l): l is Listing => l !== null);
        const tags = listings.filter((l) => l.zone.action === 'tag').map((l) => l.zone.zone);
        const annotations = tags.length > 0 ? { [DNSBL_TAGS_ANNOTATION]: tags.join(' ') } : undefined;
        const blocking = listings.find((l) => l.zone.action === 'reject') ?? listings.find((l) => l.zone.action === 'tempfail');
        if (!blocking) return { kind: 'continue', annotations };
        const action = blocking.zone.action as HeldRefusal['action'];
        const held: HeldRefusal = {
          action,
          text: dnsblReplyText(client.shown, blocking.zone.zone, await reasonOf(services.dns, blocking, deadline), action === 'tempfail'),
          reason: `client ${client.shown} listed in ${blocking.zone.zone} (${blocking.codes.join(', ')})`,
        };
        // Clients of submission listeners authenticate after connecting: the verdict waits for MAIL, where that is known.
        if (config.skipAuthenticated && session.role !== 'mx') {
          return { kind: 'continue', annotations: { ...annotations, [DNSBL_HELD_ANNOTATION]: JSON.stringify(held) } };
        }
        return refusalAt('connect', held);
      } finally {
        clearTimeout(timer);
      }
    },

    mail: ({ session, annotations }) => {
      const held = annotations[DNSBL_HELD_ANNOTATION];
      if (!held || (session?.authUser ?? null) !== null) return undefined;
      return refusalAt('mail', JSON.parse(held) as HeldRefusal);
    },

    data: ({ session, annotations }) => {
      const tags = annotations[DNSBL_TAGS_ANNOTATION];
      if (!tags || (config.skipAuthenticated && session?.authUser)) return undefined;
      const zones = tags.split(' ');
      return { kind: 'tag', headers: zones.map((zone) => ({ name: 'X-Elemta-DNSBL', value: zone })), reason: `client listed in ${zones.join(', ')}` };
    },
  }),
});
