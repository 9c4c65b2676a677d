import { randomUUID } from 'node:crypto';
import {
  asGlobalPosition, asMessageId, messageAccepted, messageQueued, messageStream, parseStreamName,
  type AnyDomainEvent, type EventMetadata, type MessageAccepted, type RecordedEvent,
} from '@elemta/domain';

export const newId = (): string => randomUUID();

export const metadataFor = (messageId: string): EventMetadata =>
  ({ correlationId: messageId, causationId: null, actor: 'smtp:127.0.0.1', node: 'test' });

export type AcceptedOptions = Partial<{
  mailFrom: string; rcptTo: string[]; subject: string | null; fromHeader: string | null;
  messageIdHeader: string | null; acceptedAt: string; sizeBytes: number;
}>;

export const accepted = (messageId: string, o: AcceptedOptions = {}): MessageAccepted => messageAccepted({
  messageId,
  sessionId: 'session-1',
  envelope: { mailFrom: o.mailFrom ?? 'alice@sender.test', rcptTo: o.rcptTo ?? ['bob@example.net'], params: {} },
  sizeBytes: o.sizeBytes ?? 1234,
  bodySha256: 'a'.repeat(64),
  bodyRef: `sha256:${'a'.repeat(64)}`,
  headers: {
    from: o.fromHeader === undefined ? 'Alice <alice@sender.test>' : o.fromHeader,
    to: 'bob@example.net',
    subject: o.subject === undefined ? 'Hello' : o.subject,
    messageId: o.messageIdHeader === undefined ? `<${messageId}@sender.test>` : o.messageIdHeader,
    date: null,
  },
  authentication: null,
  client: { address: '127.0.0.1', port: 40000, reverseDns: null, helo: 'client.test' },
  listener: 'inbound',
  authUser: null,
  tls: null,
  annotations: {},
  acceptedAt: o.acceptedAt ?? '2026-01-01T10:00:00.000Z',
});

export const queued = (messageId: string, rcptTo: readonly string[], zone = 'default') => messageQueued({
  messageId,
  recipients: rcptTo.map((address) => ({
    address, domain: address.slice(address.indexOf('@') + 1).toLowerCase(), route: 'relay', zone,
    priority: 'normal', notBefore: '2026-01-01T10:00:00.000Z',
  })),
  queuedAt: '2026-01-01T10:00:00.000Z',
});

export const reply = (code: number, enhancedCode: string, text = 'ok') => ({ code, enhancedCode, text, command: 'DATA' });

let sequence = 0;
/** A recorded event for pure tests, as a store would return it. */
export const recorded = <E extends AnyDomainEvent>(
  event: E,
  o: { stream?: string; version?: number; recordedAt?: string } = {},
): RecordedEvent<E> => {
  sequence += 1;
  const messageId = (event.data as { messageId?: string }).messageId ?? newId();
  return {
    ...event,
    metadata: {
      ...metadataFor(messageId),
      eventId: newId(),
      stream: o.stream ? parseStreamName(o.stream) : messageStream(asMessageId(messageId)),
      version: o.version ?? 1,
      position: asGlobalPosition(`1/${sequence}`),
      recordedAt: o.recordedAt ?? `2026-01-01T10:00:${String(sequence % 60).padStart(2, '0')}.000Z`,
      prevHash: '0'.repeat(64),
      hash: 'f'.repeat(64),
    },
  };
};
