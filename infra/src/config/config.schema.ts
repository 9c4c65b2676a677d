import { hostname as osHostname } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { deliveryConfigSchema } from './delivery-config.schema.js';
import { policyConfigSchema } from './policy-config.schema.js';
import { smtpConfigSchema } from './smtp-config.schema.js';
import { host, integer, port, size, urlWithScheme } from './fields.js';

export { deliveryConfigSchema, type TransportConfig, type ZoneConfig } from './delivery-config.schema.js';
export { BUILT_IN_PLUGINS, policyConfigSchema, type PluginEntry, type PolicyConfig } from './policy-config.schema.js';
export { listenerSchema, smtpConfigSchema, TLS_LEVELS, type ListenerEntry } from './smtp-config.schema.js';

/** A browser origin, `scheme://host[:port]`, exactly as browsers send it in the Origin header. */
const origin = () => z.string({ error: 'must be an origin such as https://dashboard.example.org' }).trim().refine((value) => {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}, 'must be an origin such as https://dashboard.example.org (scheme, host and port only, no path or trailing slash)');

export const httpConfigSchema = z.strictObject({
  host: host().default('127.0.0.1'),
  port: port().default(8025),
  /** Largest GraphQL request body; larger ones get 413 before more is read. */
  maxBodySize: size().default(40 * 1024 * 1024),
  /** Browser origins allowed to call /graphql from their pages (CORS); none by default. */
  corsOrigins: z.array(origin(), { error: 'must be a list of origins' }).default([]),
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
  policy: policyConfigSchema.prefault({}),
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
export type TlsLevel = NonNullable<SmtpConfig['tls']['level']>;
