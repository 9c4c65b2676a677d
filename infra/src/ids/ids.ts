import { asMessageId, asSessionId } from '@elemta/domain';
import type { MessageId, SessionId } from '@elemta/domain';
import { uuidV7 } from './uuid-v7.js';

/**
 * A new UUIDv7 (RFC 9562 §5.7): 48 bits of Unix milliseconds first, so ids sort by creation time
 * (monotonic within one process even inside the same millisecond) and index well as primary keys.
 */
export const newId = (): string => uuidV7();

export const newMessageId = (): MessageId => asMessageId(uuidV7());

export const newSessionId = (): SessionId => asSessionId(uuidV7());
