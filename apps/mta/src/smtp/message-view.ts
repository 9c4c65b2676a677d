import type { MessageView } from '../policy/plugin-api.js';
import { headerBlock } from './header-summary.js';

/** What the data and queue stages see of a message: its bytes, and header values by name, parsed on first use. */
export const messageView = (raw: Uint8Array): MessageView => {
  let fields: Map<string, string[]> | null = null;
  const parse = (): Map<string, string[]> => {
    const byName = new Map<string, string[]>();
    for (const line of headerBlock(raw).replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      const values = byName.get(name);
      if (values) values.push(value);
      else byName.set(name, [value]);
    }
    return byName;
  };
  return {
    raw,
    sizeBytes: raw.byteLength,
    headers: (name) => [...((fields ??= parse()).get(name.toLowerCase()) ?? [])],
  };
};
