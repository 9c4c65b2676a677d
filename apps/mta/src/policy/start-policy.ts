import type { ElemtaConfig } from '@elemta/infra/config';
import type { MailResolver } from '@elemta/infra/dns';
import type { Logger } from '@elemta/infra/logger';
import type { Metrics } from '@elemta/infra/metrics';
import type { Pool } from '@elemta/infra/postgres';
import { builtInPlugins } from './built-in-plugins.js';
import { loadPlugins, type PluginRegistry } from './load-plugins.js';
import { createPolicyPipeline, type PolicyPipeline } from './pipeline.js';

/**
 * Loads the configured plugins (built-ins and modules) and builds the pipeline every listener runs. Plugins share
 * the node's PostgreSQL pool and the production resolver; a plugin whose config is invalid stops start-up.
 */
export const startPolicy = async (deps: {
  config: ElemtaConfig; pool: Pool; resolver: MailResolver; metrics: Metrics; log: Logger; listenerNames: readonly string[];
  registry?: PluginRegistry;
}): Promise<PolicyPipeline> => {
  const log = deps.log.child({ component: 'policy' });
  const plugins = await loadPlugins(deps.config.policy, deps.registry ?? builtInPlugins, {
    dns: { lookup: (name, type) => deps.resolver.lookup(name, type), ...(deps.resolver.settings ? { settings: deps.resolver.settings } : {}) },
    db: deps.pool, log, hostname: deps.config.hostname, node: deps.config.node, dataDir: deps.config.dataDir, now: () => new Date(),
  }, deps.listenerNames);
  if (plugins.length > 0) log.info({ plugins: plugins.map((p) => p.name) }, 'policy plugins loaded');
  return createPolicyPipeline(plugins, { log, metrics: deps.metrics, now: () => new Date() });
};
