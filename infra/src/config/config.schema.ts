import { hostname as osHostname } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { deliveryConfigSchema } from './delivery-config.schema.js';
import { boolean, host, integer, optionalPort, port, size, urlWithScheme } from './fields.js';

export { deliveryConfigSchema, type TransportConfig, type ZoneConfig } from './delivery-config.schema.js';

/** One schema per slice (STYLE §9). Objects are strict: a misspelt key is an error, not a silent default. */
export const smtpConfigSchema = z.strictObject({
  host: host().default('127.0.0.1'),
  port: port().default(2525),
  /** 0 turns the submission listener off. */
  submissionPort: optionalPort().default(2587),
  maxMessageSize: size().default(25 * 1024 * 1024),
  // RFC 5321 §4.5.3.1.8: a server must accept at least 100 recipients.
  maxRecipients: integer(1, 100_000).default(100),
  socketTimeoutMs: integer(1, 3_600_000).default(300_000),
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
});

export const httpConfigSchema = z.strictObject({
  host: host().default('127.0.0.1'),
  port: port().default(8025),
});

const poolSize = () => integer(1, 1000).default(20);

export const postgresConfigSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('embedded'), port: port().default(5433), poolSize: poolSize() }),
  z.strictObject({ kind: z.literal('external'), url: urlWithScheme(['postgres:', 'postgresql:'], true), poolSize: poolSize() }),
], { error: 'must be "embedded" or "external"' });

export const eventStoreConfigSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('postgres'), groupCommitMaxBatch: integer(1, 10_000).default(500) }),
  z.strictObject({ kind: z.literal('esdb'), url: urlWithScheme(['esdb:', 'esdb+discover:'], false) }),
], { error: 'must be "postgres" or "esdb"' });

export const blobStoreConfigSchema = z.strictObject({
  kind: z.enum(['tiered', 'file', 'postgres'], { error: 'must be "tiered", "file" or "postgres"' }).default('tiered'),
  /** tiered: bodies up to this size go to PostgreSQL, larger ones to files. */
  inlineMaxBytes: integer(0, 16 * 1024 * 1024).default(64 * 1024),
});

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const logConfigSchema = z.strictObject({
  level: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
});

const name = (what: string) => z.string({ error: `must be ${what}` }).trim().regex(/^[^\s]+$/, `must be ${what} without spaces`);

export const elemtaConfigSchema = z.strictObject({
  /** Relative paths are taken from the working directory. */
  dataDir: z.string({ error: 'must be a directory path' }).trim().min(1, 'must be a directory path')
    .transform((dir) => resolve(dir)).prefault('./.elemta'),
  node: name('a node name').prefault(() => osHostname()),
  /** The name in the SMTP greeting and EHLO reply. */
  hostname: name('a host name').prefault(() => osHostname()),
  smtp: smtpConfigSchema.prefault({}),
  http: httpConfigSchema.prefault({}),
  postgres: postgresConfigSchema,
  eventStore: eventStoreConfigSchema,
  blobStore: blobStoreConfigSchema.prefault({}),
  delivery: deliveryConfigSchema.prefault({}),
  log: logConfigSchema.prefault({}),
});

export type ElemtaConfig = z.output<typeof elemtaConfigSchema>;
export type SmtpConfig = ElemtaConfig['smtp'];
export type HttpConfig = ElemtaConfig['http'];
export type PostgresConfig = ElemtaConfig['postgres'];
export type EventStoreConfig = ElemtaConfig['eventStore'];
export type BlobStoreConfig = ElemtaConfig['blobStore'];
export type DeliveryConfig = ElemtaConfig['delivery'];
export type LogConfig = ElemtaConfig['log'];
