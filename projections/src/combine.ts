import type { Projection } from './projection.js';

/**
 * Several projections as one: one read of the log, one transaction and one checkpoint for all of them, so the
 * views they write are always consistent with each other (a message's row never shows before its timeline)
 * and the events are read and decoded once. Each part still sees only the event types it handles.
 */
export const combineProjections = (name: string, version: number, parts: readonly Projection[]): Projection => {
  const handlesAll = parts.some((p) => p.handles === 'all');
  return {
    name,
    version,
    handles: handlesAll ? 'all' : [...new Set(parts.flatMap((p) => p.handles as readonly string[]))],
    tables: parts.flatMap((p) => p.tables),
    migrations: parts.flatMap((p) => p.migrations),
    apply: async (tx, events) => {
      for (const part of parts) {
        const handles = part.handles;
        const mine = handles === 'all' ? events : events.filter((e) => handles.includes(e.type));
        if (mine.length > 0) await part.apply(tx, mine);
      }
    },
  };
};
