import { pathToFileURL } from 'node:url';
import { ConfigError, type PolicyConfig } from '@elemta/infra/config';
import type { PluginDefinition, PluginServices } from './plugin-api.js';
import type { LoadedPlugin } from './pipeline.js';

export type PluginRegistry = ReadonlyMap<string, PluginDefinition<unknown>>;

const isDefinition = (value: unknown): value is PluginDefinition<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { setup?: unknown }).setup === 'function';

/** A module plugin: its default export, or a named `plugin` export. */
const importModule = async (path: string, key: string): Promise<PluginDefinition<unknown>> => {
  let module: Record<string, unknown>;
  try {
    module = await import(pathToFileURL(path).href) as Record<string, unknown>;
  } catch (cause) {
    throw new ConfigError(`Invalid configuration:\n  ${key}.module: cannot load ${path}: ${(cause as Error).message}`, [], { cause });
  }
  const definition = module['default'] ?? module['plugin'];
  if (!isDefinition(definition)) {
    throw new ConfigError(`Invalid configuration:\n  ${key}.module: ${path} must export a plugin ({ name, setup }) as its default export or as "plugin"`);
  }
  return definition;
};

/**
 * Loads the enabled plugins of the config in order: built-ins from `registry`, others from their module path.
 * Each plugin checks its own config (`parseConfig`); a refusal stops start-up with a ConfigError naming
 * `policy.plugins.<i>.config` and the plugin's message. Unknown listener names are refused too.
 */
export const loadPlugins = async (
  config: PolicyConfig, registry: PluginRegistry, services: PluginServices, listenerNames: readonly string[],
): Promise<LoadedPlugin[]> => {
  const loaded: LoadedPlugin[] = [];
  try {
    await loadEach(config, registry, services, listenerNames, loaded);
  } catch (err) {
    // start-up stops: release what the plugins set up so far (threads, timers)
    await Promise.allSettled(loaded.map(async (plugin) => plugin.hooks.close?.()));
    throw err;
  }
  return loaded;
};

const loadEach = async (
  config: PolicyConfig, registry: PluginRegistry, services: PluginServices, listenerNames: readonly string[], loaded: LoadedPlugin[],
): Promise<void> => {
  for (const [i, entry] of config.plugins.entries()) {
    if (!entry.enabled) continue;
    const key = `policy.plugins.${i}`;
    const unknown = (entry.listeners ?? []).filter((l) => !listenerNames.includes(l));
    if (unknown.length > 0) {
      throw new ConfigError(`Invalid configuration:\n  ${key}.listeners: no listener named ${unknown.join(', ')} (listeners: ${listenerNames.join(', ')})`);
    }
    const definition = entry.module ? await importModule(entry.module, key) : registry.get(entry.name);
    if (!definition) throw new ConfigError(`Invalid configuration:\n  ${key}.name: ${entry.name} is not a built-in plugin`);
    let pluginConfig: unknown = entry.config ?? {};
    try {
      if (definition.parseConfig) pluginConfig = definition.parseConfig(entry.config ?? {});
    } catch (cause) {
      throw new ConfigError(`Invalid configuration:\n  ${key}.config: ${describeProblems(cause)}`, [], { cause });
    }
    const log = services.log as PluginServices['log'] & { child?: (b: object) => PluginServices['log'] };
    const hooks = await definition.setup(pluginConfig, { ...services, log: log.child ? log.child({ plugin: entry.name }) : log });
    loaded.push({
      name: entry.name, hooks,
      timeoutMs: entry.timeoutMs ?? definition.timeoutMs ?? config.timeoutMs,
      onError: entry.onError ?? config.onError,
      listeners: entry.listeners ? new Set(entry.listeners) : null,
    });
  }
};

/** A zod error as `path: message` pairs; anything else as its message. */
export const describeProblems = (err: unknown): string => {
  const issues = (err as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
  if (Array.isArray(issues)) return issues.map((i) => `${i.path.length > 0 ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');
  return (err as Error)?.message ?? String(err);
};
