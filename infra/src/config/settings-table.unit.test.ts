import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.js';
import { settingsTable } from './settings-table.js';

/** Settings whose value is a record or list of the user's, documented as one key. */
const RECORDS = new Set(['delivery.routes.domains', 'delivery.routes.rules', 'delivery.transports', 'delivery.zones', 'delivery.dns.servers', 'smtp.listeners', 'smtp.relay.localDomains', 'smtp.relay.relayDomains', 'smtp.relay.networks', 'policy.plugins', 'delivery.signing.dkim', 'http.corsOrigins']);

/** Leaf key paths of a config object; a record (routing domains) counts as one leaf. */
const leaves = (value: unknown, prefix = ''): string[] =>
  typeof value === 'object' && value !== null && !RECORDS.has(prefix)
    ? Object.entries(value).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k))
    : [prefix];

const at = (config: unknown, key: string): unknown =>
  key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], config);

// Every union branch, so keys of the non-default branches are checked too.
const variants = [
  loadConfig({}),
  loadConfig({ DATABASE_URL: 'postgres://h/db', EVENTSTORE_URL: 'esdb://h:2113' }),
];
/** Optional, with no default: absent from every loaded variant. */
const ARC_KEYS = ['delivery.signing.arc.domain', 'delivery.signing.arc.selector', 'delivery.signing.arc.keyFile'];
const keyed = settingsTable.filter((s) => s.key !== null);
// Defaults that depend on the machine or are absent from the default branch.
const DYNAMIC = new Set(['dataDir', 'node', 'hostname', 'postgres.url', 'eventStore.url', 'delivery.routes.defaultRoute', 'delivery.transports', 'delivery.zones', 'smtp.listeners', 'smtp.tls.certFile', 'smtp.tls.keyFile', 'smtp.tls.level', 'policy.plugins', ...ARC_KEYS]);

describe('settingsTable', () => {
  it('lists every configuration key, and only those', () => {
    // Optional keys without a default are absent from every loaded variant.
    const optional = ['smtp.listeners', 'smtp.tls.certFile', 'smtp.tls.keyFile', 'smtp.tls.level', ...ARC_KEYS];
    const schemaKeys = new Set([...variants.flatMap((v) => leaves(v)), ...optional]);
    expect(new Set(keyed.map((s) => s.key))).toEqual(schemaKeys);
  });

  it('states the real defaults', () => {
    for (const { key, default: shown } of keyed) {
      if (key === null || DYNAMIC.has(key)) continue;
      const value = at(variants[0], key);
      expect(typeof value === 'string' ? value : JSON.stringify(value), key).toBe(shown);
    }
  });

  it('documents only variables that work: each example changes its key', () => {
    for (const { key, env, example } of keyed) {
      if (env === null) continue;
      expect(example, `${env} needs an example`).toBeDefined();
      const changed = loadConfig({ [env]: example });
      expect(at(changed, key as string), env).not.toEqual(at(variants[0], key as string) ?? null);
    }
  });

  it('uses ELEMTA_* names, plus the conventional DATABASE_URL and EVENTSTORE_URL, each once', () => {
    const names = settingsTable.flatMap((s) => (s.env ? [s.env] : []));
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^(ELEMTA_[A-Z0-9_]+|DATABASE_URL|EVENTSTORE_URL)$/);
  });
});
