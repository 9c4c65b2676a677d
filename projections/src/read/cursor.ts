import { DomainError, isUuid } from '@elemta/domain';

/** A position in the newest-first order of `messages`: received time (ISO text, microseconds kept) and id. */
export type MessageCursor = Readonly<{ receivedAt: string; id: string }>;

const invalidCursor = () => new DomainError('INVALID_CURSOR', 'invalid pagination cursor');

/** Cursors are opaque to clients: base64url of a small JSON array of strings (a row's sort key). */
export const encodeKey = (key: readonly string[]): string => Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');

/**
 * The sort key `encodeKey` made, if it has `length` strings, a time first and a UUID second (every list's key starts
 * so); anything else throws `DomainError('INVALID_CURSOR')`.
 */
export const decodeKey = (value: string, length: number): string[] => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== length || !parsed.every((v) => typeof v === 'string')) throw invalidCursor();
  const key = parsed as string[];
  if (Number.isNaN(Date.parse(key[0]!)) || !isUuid(key[1]!)) throw invalidCursor();
  return key;
};

export const encodeCursor = (cursor: MessageCursor): string => encodeKey([cursor.receivedAt, cursor.id]);

export const decodeCursor = (value: string): MessageCursor => {
  const [receivedAt, id] = decodeKey(value, 2) as [string, string];
  return { receivedAt, id };
};
