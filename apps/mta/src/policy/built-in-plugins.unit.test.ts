import { BUILT_IN_PLUGINS } from '@elemta/infra/config';
import { describe, expect, it } from 'vitest';
import { builtInPlugins } from './built-in-plugins.js';

describe('built-in plugins', () => {
  it('registers exactly the names the config schema accepts without a module', () => {
    expect([...builtInPlugins.keys()].sort()).toEqual([...BUILT_IN_PLUGINS].sort());
  });
});
