import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, issueLines } from './config-error.js';
import type { EnvSources } from './config-error.js';
import { elemtaConfigSchema } from './config.schema.js';
import type { ElemtaConfig } from './config.schema.js';
import { settingsTable } from './settings-table.js';

type Raw = Record<string, unknown>;
type Env = Readonly<Record<string, string | undefined>>;

const isObject = (value: unknown): value is Raw =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const readYaml = (file: string): Raw => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(`cannot read config file ${file}: ${(cause as Error).message}`, [], { cause });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (cause) {
    throw new ConfigError(`config file ${file} is not valid YAML: ${(cause as Error).message}`, [], { cause });
  }
  if (doc === null || doc === undefined) return {};
  if (!isObject(doc)) throw new ConfigError(`config file ${file} must hold a mapping of settings at its top level`);
  return doc;
};

/** Sets `raw.a.b.c`, creating missing levels; a level that is not a mapping is left for the schema to report. */
const setPath = (raw: Raw, key: string, value: string): boolean => {
  const parts = key.split('.');
  let node = raw;
  for (const part of parts.slice(0, -1)) {
    if (node[part] === undefined) node[part] = {};
    const next = node[part];
    if (!isObject(next)) return false;
    node = next;
  }
  node[parts.at(-1) as string] = value;
  return true;
};

const overlayEnv = (raw: Raw, env: Env): Map<string, string> => {
  const sources = new Map<string, string>();
  for (const { key, env: name } of settingsTable) {
    if (key === null || name === null) continue;
    const value = env[name];
    // An empty variable (e.g. `DATABASE_URL=` in a compose file) means unset.
    if (value === undefined || value.trim() === '') continue;
    if (setPath(raw, key, value)) sources.set(key, name);
  }
  return sources;
};

/**
 * Picks the union branch: a URL selects the external server. A URL from the environment wins over
 * YAML settings of the other branch, which are dropped rather than reported (env wins over YAML).
 */
const selectBranch = (raw: Raw, slice: string, sources: EnvSources, kinds: { url: string; local: string }, localKeys: string[]): void => {
  const value = raw[slice] ?? {};
  if (!isObject(value)) return;
  raw[slice] = value;
  const urlFromEnv = sources.has(`${slice}.url`);
  if (urlFromEnv) value['kind'] = kinds.url;
  else value['kind'] ??= value['url'] !== undefined ? kinds.url : kinds.local;
  if (value['kind'] !== kinds.url) return;
  for (const key of localKeys) {
    // Drop a local-only setting when the environment chose the URL, or when it came from the environment itself.
    if (urlFromEnv || sources.has(`${slice}.${key}`)) delete value[key];
  }
};

/**
 * The configuration: defaults, then the YAML file named by `ELEMTA_CONFIG`, then environment variables
 * (listed in `settingsTable`). The only reader of the environment: apps pass `process.env`.
 * Throws ConfigError listing every problem (`  <key path>: <problem>`) or naming an unreadable file.
 */
export const loadConfig = (env: Env): ElemtaConfig => {
  const file = env['ELEMTA_CONFIG']?.trim() ? resolve(env['ELEMTA_CONFIG'].trim()) : null;
  const raw = file ? readYaml(file) : {};
  const sources = overlayEnv(raw, env);
  selectBranch(raw, 'postgres', sources, { url: 'external', local: 'embedded' }, ['port']);
  selectBranch(raw, 'eventStore', sources, { url: 'esdb', local: 'postgres' }, ['groupCommitMaxBatch']);
  const result = elemtaConfigSchema.safeParse(raw);
  if (result.success) return file ? withPathsFrom(dirname(file), result.data) : result.data;
  const lines = issueLines(result.error, sources);
  const where = file ? ` (config file ${file} and the environment)` : '';
  throw new ConfigError(`Invalid configuration${where}:\n${lines.join('\n')}`, lines);
};

/** Paths in a config file (plugin modules, certificate and signing key files) are relative to the file's directory, not the cwd. */
const withPathsFrom = (dir: string, config: ElemtaConfig): ElemtaConfig => {
  const at = (path: string | undefined) => (path === undefined || isAbsolute(path) ? path : resolve(dir, path));
  const { certFile, keyFile, ...tls } = config.smtp.tls;
  const { signing } = config.delivery;
  return {
    ...config,
    smtp: { ...config.smtp, tls: { ...tls, ...(certFile ? { certFile: at(certFile)!, keyFile: at(keyFile)! } : {}) } },
    policy: { ...config.policy, plugins: config.policy.plugins.map((p) => (p.module ? { ...p, module: at(p.module)! } : p)) },
    delivery: {
      ...config.delivery,
      signing: {
        ...signing,
        dkim: Object.fromEntries(Object.entries(signing.dkim).map(([domain, k]) => [domain, { ...k, keyFile: at(k.keyFile)! }])),
        ...(signing.arc ? { arc: { ...signing.arc, keyFile: at(signing.arc.keyFile)! } } : {}),
      },
    },
  };
};
