import type { MessageView } from '../policy/plugin-api.js';
import { headerBlock } from './header-summary.js';

/** What the data and queue stages see of a message: its bytes, and header values by name, parsed on first use. */
export const messageView = (raw: Uint8Array): MessageView => {
  let fields: (readonly [string, string])[] | null = null;
  return {
    raw,
    sizeBytes: raw.byteLength,
    headers: (name) => {
      fields ??= headerBlock(raw).replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/).flatMap((line) => {
        const colon = line.indexOf(':');
        return colon <= 0 ? [] : [[line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()] as const];
      });
      const wanted = name.toLowerCase();
      return fields.filter(([n]) => n === wanted).map(([, v]) => v);
    },
  };
};
