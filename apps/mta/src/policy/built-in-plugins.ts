import type { PluginDefinition } from './plugin-api.js';
import type { PluginRegistry } from './load-plugins.js';
import { accessListsPlugin } from './plugins/access-lists.plugin.js';
import { defaultHeadersPlugin } from './plugins/default-headers.plugin.js';
import { dnsblPlugin } from './plugins/dnsbl.plugin.js';
import { emailAuthPlugin } from './plugins/email-auth.plugin.js';
import { greylistPlugin } from './plugins/greylist.plugin.js';
import { rateLimitPlugin } from './plugins/rate-limit.plugin.js';

/** The plugins a config entry can name without a module path (BUILT_IN_PLUGINS of the config schema). */
export const builtInPlugins: PluginRegistry = new Map(
  [accessListsPlugin, rateLimitPlugin, greylistPlugin, dnsblPlugin, emailAuthPlugin, defaultHeadersPlugin]
    .map((p) => [p.name, p as PluginDefinition<unknown>]),
);
