/** Identifiers and stream names. IDs are UUIDv7 strings created at the edge and passed in. */
export type MessageId = string & { readonly __brand: 'MessageId' };
export type SessionId = string & { readonly __brand: 'SessionId' };
export type StreamName = string & { readonly __brand: 'StreamName' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const isUuid = (value: string): boolean => UUID.test(value);
export const asMessageId = (value: string): MessageId => value as MessageId;
export const asSessionId = (value: string): SessionId => value as SessionId;

export const messageStream = (id: MessageId): StreamName => `message-${id}` as StreamName;
export const sessionStream = (id: SessionId): StreamName => `session-${id}` as StreamName;
/** `admin-<area>`: configuration and key events. Areas are camelCase, never hyphenated. */
export const adminStream = (area: string): StreamName => {
  if (!/^[a-z][A-Za-z0-9]*$/.test(area)) throw new Error(`invalid admin area: ${area}`);
  return `admin-${area}` as StreamName;
};
/** The category is everything before the first hyphen. */
export const streamCategory = (stream: string): string => {
  const dash = stream.indexOf('-');
  return dash === -1 ? stream : stream.slice(0, dash);
};
/** Accepts a stream name from outside (API, CLI) once it has the `<category>-<id>` shape. */
export const parseStreamName = (value: string): StreamName => {
  if (!/^[a-z][A-Za-z0-9]*-[A-Za-z0-9._:-]+$/.test(value)) throw new Error(`invalid stream name: ${value}`);
  return value as StreamName;
};
