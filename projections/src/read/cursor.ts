import { DomainError, isUuid } from '@elemta/domain';

/** A position in the newest-first order of `messages`: received time (ISO text, microseconds kept) and id. */
export type MessageCursor = Readonly<{ receivedAt: string; id: string }>;

/** Opaque to clients: base64url of a small JSON array. */
export const encodeCursor = (cursor: MessageCursor): string =>
  Buffer.from(JSON.stringify([cursor.receivedAt, cursor.id]), 'utf8').toString('base64url');

/** Throws `DomainError('INVALID_CURSOR')` for anything `encodeCursor` did not produce. */
export const decodeCursor = (value: string): MessageCursor => {
  const invalid = new DomainError('INVALID_CURSOR', 'invalid pagination cursor');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalid;
  const [receivedAt, id] = parsed as unknown[];
  if (typeof receivedAt !== 'string' || Number.isNaN(Date.parse(receivedAt))) throw invalid;
  if (typeof id !== 'string' || !isUuid(id)) throw invalid;
  return { receivedAt, id };
};
