import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';
import { prioritySchema } from '@elemta/domain';
import { boolean, decimal, duration, host, integer, port, rate } from './fields.js';

const routeName = z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a route name such as "relay" or "capture"');
const zoneName = z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be a zone name (letters, digits, "_" and "-")');
const domainName = z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/, 'must be a domain name');
const ipAddress = z.string().refine((v) => isIP(v) !== 0, 'must be an IPv4 or IPv6 address');
const tlsPolicy = z.enum(['opportunistic', 'required-verified'], { error: 'must be "opportunistic" or "required-verified"' });
const filePath = z.string().trim().min(1, 'must be a file path').transform((p) => resolve(p));

const pool = {
  maxConnectionsPerDestination: integer(1, 1000).default(10),
  maxMessagesPerConnection: integer(1, 100_000).default(100),
};

/** The ways to deliver; a route name refers to one of these. */
export const transportConfigSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('relay'), port: port().default(25), tls: tlsPolicy.default('opportunistic'), caFile: filePath.optional(),
    connectTimeout: duration(0.1, 600).default(30), ...pool,
  }),
  z.strictObject({
    kind: z.literal('smarthost'), host: host(), port: port().default(587), secure: boolean().default(false),
    tls: tlsPolicy.default('opportunistic'), caFile: filePath.optional(),
    auth: z.strictObject({ user: z.string().min(1), pass: z.string().min(1) }).optional(),
    connectTimeout: duration(0.1, 600).default(30), ...pool,
  }),
  z.strictObject({ kind: z.literal('lmtp'), host: host(), port: port().default(24), connectTimeout: duration(0.1, 600).default(30), ...pool }),
  z.strictObject({ kind: z.literal('maildir'), root: filePath }),
  z.strictObject({ kind: z.literal('capture') }),
], { error: 'must be relay, smarthost, lmtp, maildir or capture' });
export type TransportConfig = z.output<typeof transportConfigSchema>;

/** A sending zone (ZoneMTA): source addresses, concurrency and throttles. Throttles hold across nodes. */
export const zoneConfigSchema = z.strictObject({
  bindAddresses: z.array(ipAddress).default([]),
  maxConnections: integer(1, 100_000).default(100),
  /** Messages per window for the whole zone. */
  throttle: rate().optional(),
  /** Messages per window to any one destination domain from this zone. */
  domainThrottle: rate().optional(),
  /** Per named destination domain, overriding domainThrottle. */
  domainThrottles: z.record(domainName, rate()).default({}),
});
export type ZoneConfig = z.output<typeof zoneConfigSchema>;

const ruleSchema = z.strictObject({
  sender: z.string().min(1).optional(),
  senderDomain: domainName.optional(),
  recipientDomain: domainName.optional(),
  header: z.strictObject({ name: z.string().min(1), value: z.string() }).optional(),
  zone: zoneName.optional(),
  priority: prioritySchema.optional(),
});

/** DNS labels of a DKIM selector (RFC 6376 §3.1): "s2025", "mail.eu". */
const selector = z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?)*$/,
  'must be a DKIM selector: DNS labels such as "s2025" or "mail.eu"');
/** Kept as given: load-config resolves it against the config file's directory; keys are read at start-up. */
const keyFile = z.string({ error: 'must be the path of a PEM private key file' }).trim().min(1, 'must be the path of a PEM private key file');
const headerName = z.string().regex(/^[!-9;-~]+$/, 'must be a header field name such as "Subject"');

const signingDomainKey = (domain: string) => domain.toLowerCase().replace(/\.$/, '');

const dkimKeySchema = z.strictObject({
  selector,
  keyFile,
  /** Absent: taken from the key (RSA → rsa-sha256, Ed25519 → ed25519-sha256). */
  algorithm: z.enum(['rsa-sha256', 'ed25519-sha256'], { error: 'must be "rsa-sha256" or "ed25519-sha256"' }).optional(),
  /** Absent: a default list (From, To, Subject, Date, Message-ID, MIME headers, lists...). */
  headers: z.array(headerName, { error: 'must be a list of header field names' }).min(1, 'must name at least From')
    .refine((names) => names.some((n) => n.toLowerCase() === 'from'), 'must include From (RFC 6376 §5.4 requires it signed)')
    .optional(),
});

/**
 * Outbound DKIM signatures per sender domain, and ARC sealing (RFC 8617) of mail from outside that is relayed onward.
 * Sub-domains do not inherit a key: each signing domain is listed on purpose, since a sub-domain may belong to another
 * party or publish its own DMARC policy.
 */
export const signingConfigSchema = z.strictObject({
  dkim: z.record(domainName, dkimKeySchema).default({}),
  arc: z.strictObject({ domain: domainName, selector, keyFile }).optional(),
}).superRefine((s, ctx) => {
  const seen = new Map<string, string>();
  for (const domain of Object.keys(s.dkim)) {
    const key = signingDomainKey(domain);
    const other = seen.get(key);
    if (other !== undefined) ctx.addIssue({ code: 'custom', path: ['dkim', domain], message: `is the same domain as "${other}"` });
    seen.set(key, domain);
  }
}).transform((s) => ({
  ...s,
  // looked up with the lower-cased domain of the From header or the envelope sender
  dkim: Object.fromEntries(Object.entries(s.dkim).map(([domain, key]) => [signingDomainKey(domain), key])),
  ...(s.arc ? { arc: { ...s.arc, domain: signingDomainKey(s.arc.domain) } } : {}),
}));
export type SigningConfig = z.output<typeof signingConfigSchema>;

const BUILT_IN_ROUTES = ['relay', 'capture'] as const;

export const deliveryConfigSchema = z.strictObject({
  mode: z.enum(['capture', 'relay'], { error: 'must be "capture" or "relay"' }).default('capture'),
  routes: z.strictObject({
    defaultRoute: routeName.optional(),
    domains: z.record(domainName, routeName).default({}),
    defaultZone: zoneName.default('default'),
    defaultPriority: prioritySchema.default('normal'),
    rules: z.array(ruleSchema).default([]),
  }).prefault({}),
  transports: z.record(routeName, transportConfigSchema).default({}),
  zones: z.record(zoneName, zoneConfigSchema).default({}),
  retry: z.strictObject({
    initialDelay: duration(0.001, 86_400).default(300),
    multiplier: decimal(1, 10).default(2),
    maxDelay: duration(0.001, 7 * 86_400).default(4 * 3600),
    jitter: decimal(0, 1).default(0.1),
    maxQueueTime: duration(1, 60 * 86_400).default(5 * 86_400),
  }).prefault({}),
  workers: z.strictObject({
    enabled: boolean().default(true),
    /** Deliveries in flight on this node. */
    concurrency: integer(1, 10_000).default(100),
    /** Messages claimed per query. */
    batchSize: integer(1, 10_000).default(100),
    /** How long a claim lasts; a node that dies leaves its messages to others after this. */
    lease: duration(3, 86_400).default(300),
    pollInterval: duration(0.01, 60).default(1),
  }).prefault({}),
  dns: z.strictObject({
    /** Resolvers as "ip" or "ip:port"; empty means the system's. */
    servers: z.array(z.string().regex(/^[0-9a-fA-F.:[\]]+$/, 'must be "ip" or "ip:port"')).default([]),
    timeout: duration(0.05, 60).default(5),
  }).prefault({}),
  signing: signingConfigSchema.prefault({}),
}).superRefine((d, ctx) => {
  const routes = new Set<string>([...BUILT_IN_ROUTES, ...Object.keys(d.transports)]);
  const zones = new Set<string>(['default', ...Object.keys(d.zones)]);
  const known = (set: Set<string>) => [...set].map((s) => `"${s}"`).join(', ');
  const route = (name: string | undefined, path: (string | number)[]) => {
    if (name !== undefined && !routes.has(name)) {
      ctx.addIssue({ code: 'custom', path, message: `unknown route "${name}"; define it under delivery.transports or use one of ${known(routes)}` });
    }
  };
  const zone = (name: string | undefined, path: (string | number)[]) => {
    if (name !== undefined && !zones.has(name)) {
      ctx.addIssue({ code: 'custom', path, message: `unknown zone "${name}"; define it under delivery.zones or use one of ${known(zones)}` });
    }
  };
  route(d.routes.defaultRoute, ['routes', 'defaultRoute']);
  for (const [domain, name] of Object.entries(d.routes.domains)) route(name, ['routes', 'domains', domain]);
  zone(d.routes.defaultZone, ['routes', 'defaultZone']);
  d.routes.rules.forEach((rule, i) => zone(rule.zone, ['routes', 'rules', i, 'zone']));
  if (d.retry.maxDelay < d.retry.initialDelay) {
    ctx.addIssue({ code: 'custom', path: ['retry', 'maxDelay'], message: 'must not be shorter than delivery.retry.initialDelay' });
  }
}).transform((d) => ({
  ...d,
  // Routing keys are compared with lower-cased recipient domains (domain/policies/routing.ts).
  routes: {
    defaultRoute: d.routes.defaultRoute ?? (d.mode === 'relay' ? 'relay' : 'capture'),
    domains: Object.fromEntries(Object.entries(d.routes.domains).map(([k, r]) => [k.toLowerCase().replace(/\.$/, ''), r])),
    defaultZone: d.routes.defaultZone,
    defaultPriority: d.routes.defaultPriority,
    rules: d.routes.rules,
  },
  transports: { relay: { kind: 'relay' as const, port: 25, tls: 'opportunistic' as const, connectTimeout: 30, maxConnectionsPerDestination: 10, maxMessagesPerConnection: 100 },
    capture: { kind: 'capture' as const }, ...d.transports } as Record<string, TransportConfig>,
  zones: { default: zoneConfigSchema.parse({}), ...d.zones } as Record<string, ZoneConfig>,
}));
