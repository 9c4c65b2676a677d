import { isIP } from 'node:net';
import { z } from 'zod';
import { boolean, host, integer, optionalPort, port, size } from './fields.js';

export const TLS_LEVELS = ['compat', 'modern', 'strict'] as const;
const tlsLevel = () => z.enum(TLS_LEVELS, { error: `must be one of ${TLS_LEVELS.join(', ')}` });

/** `10.0.0.0/8`, `2001:db8::/32` or a single address. */
const cidr = () => z.string({ error: 'must be an address or CIDR block' }).trim().refine((value) => {
  const [address, bits, extra] = value.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}, 'must be an IP address or a CIDR block such as 192.0.2.0/24 or 2001:db8::/32');

const domain = () => z.string({ error: 'must be a domain' }).trim().toLowerCase()
  .regex(/^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/, 'must be a domain such as example.org or *.example.org');

/** Limits every listener has; a listener entry may override each of them. */
const limitFields = {
  maxMessageSize: size(),
  // RFC 5321 §4.5.3.1.8: a server must accept at least 100 recipients.
  maxRecipients: integer(1, 100_000),
  maxMessagesPerSession: integer(1, 1_000_000),
  maxConnections: integer(1, 1_000_000),
  maxConnectionsPerIp: integer(1, 1_000_000),
  /** Idle time before the connection is closed (421). */
  socketTimeoutMs: integer(1, 3_600_000),
  /** Longest a session may last in total (421). */
  sessionTimeoutMs: integer(1000, 86_400_000),
};

export const listenerSchema = z.strictObject({
  name: z.string({ error: 'must be a listener name' }).trim().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'must be a listener name: letters, digits, "_" and "-"'),
  /** mx: inbound, AUTH optional, relay control; submission: AUTH required, STARTTLS; smtps: AUTH required, implicit TLS. */
  role: z.enum(['mx', 'submission', 'smtps'], { error: 'must be mx, submission or smtps' }),
  host: host().optional(),
  port: port(),
  /** Offer STARTTLS (mx and submission). */
  starttls: boolean().default(true),
  tlsLevel: tlsLevel().optional(),
  /** AUTH without TLS from clients off loopback; default: `smtp.allowInsecureAuth`. */
  allowInsecureAuth: boolean().optional(),
  ...Object.fromEntries(Object.entries(limitFields).map(([k, v]) => [k, v.optional()])) as { [K in keyof typeof limitFields]: z.ZodOptional<(typeof limitFields)[K]> },
});
export type ListenerEntry = z.output<typeof listenerSchema>;

/** One schema per slice (STYLE §9). Objects are strict: a misspelt key is an error, not a silent default. */
export const smtpConfigSchema = z.strictObject({
  host: host().default('127.0.0.1'),
  port: port().default(2525),
  /** 0 turns the submission listener off. */
  submissionPort: optionalPort().default(2587),
  /** Implicit-TLS submission (RFC 8314); 0 (default) turns it off. */
  smtpsPort: optionalPort().default(0),
  /** Replaces the listeners of port, submissionPort and smtpsPort when given. */
  listeners: z.array(listenerSchema, { error: 'must be a list of listeners' }).optional().superRefine((entries, ctx) => {
    const names = new Set<string>();
    for (const [i, entry] of (entries ?? []).entries()) {
      if (names.has(entry.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `listener ${entry.name} is listed twice` });
      names.add(entry.name);
    }
  }),
  maxMessageSize: limitFields.maxMessageSize.default(25 * 1024 * 1024),
  maxRecipients: limitFields.maxRecipients.default(100),
  maxMessagesPerSession: limitFields.maxMessagesPerSession.default(1000),
  maxConnections: limitFields.maxConnections.default(1000),
  maxConnectionsPerIp: limitFields.maxConnectionsPerIp.default(50),
  socketTimeoutMs: limitFields.socketTimeoutMs.default(300_000),
  sessionTimeoutMs: limitFields.sessionTimeoutMs.default(3_600_000),
  closeTimeoutMs: integer(0, 3_600_000).default(30_000),
  disableReverseLookup: boolean().default(false),
  /**
   * AUTH over a connection without TLS from a client that is not on loopback. Off: such clients get 538 5.7.11
   * (RFC 4954 §4: plain-text mechanisms only under TLS). Loopback clients may always authenticate.
   */
  allowInsecureAuth: boolean().default(false),
  /** Failed AUTH attempts per client IP or per user within 15 minutes before 454 4.7.0 refuses further attempts. */
  authMaxFailures: integer(1, 10_000).default(10),
  /** Delay of the reply to the second failed attempt; it doubles with each failure, up to 8 times this. */
  authFailureDelayMs: integer(0, 60_000).default(1000),
  tls: z.strictObject({
    /** PEM certificate chain; with keyFile. Without both, a self-signed certificate is made in the data directory. */
    certFile: z.string().trim().min(1).optional(),
    keyFile: z.string().trim().min(1).optional(),
    /**
     * compat: TLS 1.0+ with broad ciphers; modern: TLS 1.2+ with forward-secret AEAD ciphers; strict: TLS 1.3 only.
     * Unset: compat on mx listeners (opportunistic TLS beats plain text), modern on submission and smtps.
     */
    level: tlsLevel().optional(),
  }).prefault({}).refine((tls) => (tls.certFile === undefined) === (tls.keyFile === undefined), {
    message: 'certFile and keyFile go together: give both or neither', path: ['certFile'],
  }),
  relay: z.strictObject({
    /** Domains this server receives mail for. */
    localDomains: z.array(domain(), { error: 'must be a list of domains' }).default([]),
    /** Domains this server relays to from anyone (backup MX, gateways). */
    relayDomains: z.array(domain(), { error: 'must be a list of domains' }).default([]),
    /** Clients that may relay anywhere without AUTH (Postfix mynetworks). */
    networks: z.array(cidr(), { error: 'must be a list of CIDR blocks' }).default(['127.0.0.1/32', '::1/128']),
  }).prefault({}),
});
