import { z } from 'zod';
import { boolean, integer } from './fields.js';

/** Built-in plugins, by name; anything else needs a `module`. */
export const BUILT_IN_PLUGINS = ['access-lists', 'rate-limit', 'greylist', 'dnsbl', 'email-auth', 'default-headers'] as const;

const onError = () => z.enum(['tempfail', 'continue', 'reject'], { error: 'must be tempfail, continue or reject' });

export const pluginEntrySchema = z.strictObject({
  /** A built-in plugin's name, or the name a module plugin is known by in logs and events. */
  name: z.string({ error: 'must be a plugin name' }).trim().regex(/^[a-z0-9][a-z0-9._-]*$/i, 'must be a plugin name: letters, digits, ".", "_" and "-"'),
  /** Path of an ES module whose default export (or `plugin` export) is a plugin definition; relative to the config file's directory. */
  module: z.string({ error: 'must be a module path' }).trim().min(1, 'must be a module path').optional(),
  enabled: boolean().default(true),
  /** Only on these listeners (by name); default: all. */
  listeners: z.array(z.string(), { error: 'must be a list of listener names' }).optional(),
  /** Overrides `policy.timeoutMs` for this plugin. */
  timeoutMs: integer(1, 600_000).optional(),
  /** Overrides `policy.onError` for this plugin. */
  onError: onError().optional(),
  /** The plugin's own settings, checked by the plugin at start-up. */
  config: z.unknown().optional(),
});
export type PluginEntry = z.output<typeof pluginEntrySchema>;

const DEFAULT_PLUGINS = [{ name: 'email-auth' }, { name: 'default-headers' }];

export const policyConfigSchema = z.strictObject({
  /** Longest a hook may run before its verdict becomes `onError`. */
  timeoutMs: integer(1, 600_000).default(5000),
  /** The verdict of a hook that throws, times out or returns something invalid. */
  onError: onError().default('tempfail'),
  /** Plugins in the order they run at each stage. */
  plugins: z.array(pluginEntrySchema, { error: 'must be a list of plugins' }).prefault(DEFAULT_PLUGINS).superRefine((entries, ctx) => {
    const seen = new Set<string>();
    entries.forEach((entry, i) => {
      if (seen.has(entry.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `plugin ${entry.name} is listed twice` });
      seen.add(entry.name);
      if (!entry.module && !(BUILT_IN_PLUGINS as readonly string[]).includes(entry.name)) {
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `is not a built-in plugin (${BUILT_IN_PLUGINS.join(', ')}); give a module path for your own` });
      }
    });
  }),
});
export type PolicyConfig = z.output<typeof policyConfigSchema>;
