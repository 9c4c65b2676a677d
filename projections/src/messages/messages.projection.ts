import type { RecordedEvent } from '@elemta/domain';
import type pg from 'pg';
import type { Projection } from '../projection.js';
import { evolveMessageRow, messageKeyOf, messagesHandles, type MessageRow } from './messages.fold.js';
import { loadMessageRows, messagesMigrations, saveMessageRows } from './messages.sql.js';

/** Folds a batch over the rows it touches; returns only the rows that changed. Pure. */
export const foldMessageRows = (
  loaded: ReadonlyMap<string, MessageRow>,
  events: readonly RecordedEvent[],
): Map<string, MessageRow | null> => {
  const current = new Map<string, MessageRow | null>(loaded);
  const changed = new Map<string, MessageRow | null>();
  for (const event of events) {
    const key = messageKeyOf(event);
    if (key === null) continue;
    const before = current.get(key) ?? null;
    const after = evolveMessageRow(before, event);
    if (after === before) continue;
    current.set(key, after);
    changed.set(key, after);
  }
  return changed;
};

const applyMessages = async (tx: pg.PoolClient, events: readonly RecordedEvent[]): Promise<void> => {
  const ids = [...new Set(events.map(messageKeyOf).filter((k): k is string => k !== null))];
  if (ids.length === 0) return;
  const loaded = await loadMessageRows(tx, ids);
  await saveMessageRows(tx, foldMessageRows(loaded, events));
};

/** `messages`: one row per message, answering "what happened to this message" and the search over messages. */
export const messagesProjection: Projection = {
  name: 'messages',
  version: 2, // v2: submitted_by
  handles: messagesHandles,
  tables: ['messages'],
  migrations: messagesMigrations,
  apply: applyMessages,
};
