import type { HeaderSummary } from '@elemta/domain';

const MAX_HEADER_BYTES = 256 * 1024;

/** The header block of an RFC 5322 message: everything before the first empty line. */
export const headerBlock = (message: Uint8Array): string => {
  const limit = Math.min(message.length, MAX_HEADER_BYTES);
  let end = limit;
  for (let i = 0; i < limit - 1; i++) {
    if (message[i] === 0x0a && (message[i + 1] === 0x0a || (message[i + 1] === 0x0d && message[i + 2] === 0x0a))) {
      end = i;
      break;
    }
  }
  return Buffer.from(message.buffer, message.byteOffset, end).toString('utf8');
};

/** Unfolds (RFC 5322 §2.2.3) and returns the first value of each named header, lower-cased names. */
export const parseHeaders = (block: string): Map<string, string> => {
  const headers = new Map<string, string>();
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return headers;
};

const decoders = new Map<string, TextDecoder>();
const decoderFor = (charset: string): TextDecoder | null => {
  const key = charset.toLowerCase();
  if (!decoders.has(key)) {
    try { decoders.set(key, new TextDecoder(key)); } catch { return null; }
  }
  return decoders.get(key) ?? null;
};

/** Decodes RFC 2047 encoded-words (B and Q); undecodable words are left as they are. */
export const decodeEncodedWords = (value: string): string =>
  value
    .replace(/(=\?[^?]+\?[bBqQ]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?*]+)(?:\*[^?]*)?\?([bBqQ])\?([^?]*)\?=/g, (word, charset: string, encoding: string, text: string) => {
      const decoder = decoderFor(charset);
      if (!decoder) return word;
      const bytes = encoding.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64')
        : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
      return decoder.decode(bytes);
    });

// NUL cannot be stored in PostgreSQL's jsonb (nor is it text): it becomes U+FFFD.
const clip = (value: string | undefined, max = 998): string | null =>
  value === undefined ? null : decodeEncodedWords(value).replace(/\0/g, '\uFFFD').slice(0, max);

export const summarizeHeaders = (message: Uint8Array): HeaderSummary => {
  const headers = parseHeaders(headerBlock(message));
  return {
    from: clip(headers.get('from')),
    to: clip(headers.get('to')),
    subject: clip(headers.get('subject')),
    messageId: clip(headers.get('message-id')),
    date: clip(headers.get('date')),
  };
};
