import { describeProblems } from '../load-plugins.js';
import type { PluginDefinition } from '../plugin-api.js';

/** The problems a plugin finds in `raw`, as start-up reports them (`path: message; …`); '' when it is accepted. */
export const configProblems = (plugin: PluginDefinition<unknown>, raw: unknown): string => {
  try {
    plugin.parseConfig?.(raw);
    return '';
  } catch (err) {
    return describeProblems(err);
  }
};
