import type { HookResult, PolicyStage, TagHeader } from '@elemta/domain';
import type { LookupResult, LookupType, MailResolverSettings } from '@elemta/infra/dns';
import type { Pool } from '@elemta/infra/postgres';

export type { HookResult, PolicyStage, TagHeader };

/** What every hook sees of the SMTP session. Read-only: hooks never change the session. */
export type SessionView = Readonly<{
  id: string;
  listener: string;
  role: 'mx' | 'submission' | 'smtps';
  client: Readonly<{ address: string; port: number; reverseDns: string | null; helo: string | null }>;
  localAddress: string;
  localPort: number;
  tls: Readonly<{ protocol: string; cipher: string }> | null;
  /** The SMTP AUTH user, once authenticated. */
  authUser: string | null;
  /** The client's address is in `smtp.relay.networks`. */
  trustedNetwork: boolean;
  /** Messages accepted in this session so far. */
  messageCount: number;
}>;

/** The transaction in progress (after MAIL FROM). */
export type TransactionView = Readonly<{
  mailFrom: string;
  params: Readonly<Record<string, string>>;
  /** Recipients accepted so far (at the rcpt stage: not yet including the one being checked). */
  rcptTo: readonly string[];
}>;

/** The message at the data and queue stages: the bytes as received (with Elemta's Received header first). */
export type MessageView = Readonly<{
  raw: Uint8Array;
  sizeBytes: number;
  /** Every value of a header (unfolded, in order), by case-insensitive name. */
  headers: (name: string) => readonly string[];
}>;

/** Arguments per stage. */
export type StageArgs = {
  connect: Readonly<Record<string, never>>;
  helo: Readonly<{ hostname: string }>;
  auth: Readonly<{ mechanism: string; user: string; outcome: 'success' | 'failure' }>;
  mail: Readonly<{ address: string; params: Readonly<Record<string, string>> }>;
  rcpt: Readonly<{ address: string }>;
  data: Readonly<{ message: MessageView }>;
  queue: Readonly<{ messageId: string; message: MessageView }>;
  delivery: Readonly<{ messageId: string; mailFrom: string; recipients: readonly string[]; route: string; zone: string }>;
};

export type PluginLog = Readonly<{
  debug: (obj: object, msg: string) => void; info: (obj: object, msg: string) => void;
  warn: (obj: object, msg: string) => void; error: (obj: object, msg: string) => void;
}>;

export type HookContext<S extends PolicyStage = PolicyStage> = Readonly<{
  stage: S;
  /** The SMTP session; null at the delivery stage (and for messages submitted through the API). */
  session: SessionView | null;
  transaction: TransactionView | null;
  args: StageArgs[S];
  /** Annotations of the plugins that ran at earlier stages of this transaction (and of this stage, before this one). */
  annotations: Readonly<Record<string, string>>;
  /** Bound to `plugin` and `sessionId`. */
  log: PluginLog;
  /** Aborted when the hook times out or the session ends. */
  signal: AbortSignal;
  now: Date;
}>;

export type Hook<S extends PolicyStage> = (ctx: HookContext<S>) => HookResult | undefined | Promise<HookResult | undefined>;
export type Hooks = { [S in PolicyStage]?: Hook<S> } & { close?: () => Promise<void> | void };

/**
 * What a plugin's `setup` may use: Elemta's own resolver and database, never new clients of its own (a worker thread
 * builds its resolver from `dns.settings`, as email-auth's do).
 */
export type PluginServices = Readonly<{
  /** The production resolver (same servers, same TTL cache as delivery), in node's `dns.promises.resolve` shapes. */
  dns: Readonly<{
    lookup: <T extends LookupType>(name: string, type: T) => Promise<LookupResult<T>>;
    /** The resolver's settings, to build the same resolver on a worker thread (see `MailResolver.settings`). */
    settings?: MailResolverSettings;
  }>;
  /** Elemta's PostgreSQL pool, for state shared by every node (rate limits, greylisting). */
  db: Pool;
  log: PluginLog;
  hostname: string;
  node: string;
  dataDir: string;
  now: () => Date;
}>;

/**
 * A plugin: a name, an optional parser for its config (e.g. a zod schema's `parse`; its error message is shown with
 * the config key when start-up stops), and `setup`, which returns the hooks. Hooks run in config order; each has a
 * timeout, and a throw, a timeout or an invalid result becomes the pipeline's `onError` verdict (tempfail by default).
 */
export type PluginDefinition<Config = unknown> = Readonly<{
  name: string;
  parseConfig?: (raw: unknown) => Config;
  /** The hook timeout when the config entry sets none (e.g. longer for DNS-heavy checks); else `policy.timeoutMs`. */
  timeoutMs?: number;
  setup: (config: Config, services: PluginServices) => Hooks | Promise<Hooks>;
}>;

/** Identity, for type inference in plugin modules. */
export const definePlugin = <Config>(definition: PluginDefinition<Config>): PluginDefinition<Config> => definition;
