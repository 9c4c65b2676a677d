import type { z } from 'zod';
import { DomainError } from '../errors.js';
import type { AnyDomainEvent } from './common.js';
import { adminEventDefinitions, type AdminEvent } from './admin-events.js';
import { messageEventDefinitions, type MessageEvent } from './message-events.js';
import { sessionEventDefinitions, type SessionEvent } from './session-events.js';
import { upcasters } from './upcasters.js';

export type ElemtaEvent = MessageEvent | SessionEvent | AdminEvent;
export type ElemtaEventType = ElemtaEvent['type'];

type Definition = { type: string; schemaVersion: number; schema: z.ZodType };
const definitions: readonly Definition[] = [...messageEventDefinitions, ...sessionEventDefinitions, ...adminEventDefinitions];
const current = new Map<string, Definition>(definitions.map((d) => [d.type, d]));

export const eventTypes: readonly string[] = [...current.keys()];
export const isKnownEventType = (type: string): type is ElemtaEventType => current.has(type);
export const currentSchemaVersion = (type: string): number | undefined => current.get(type)?.schemaVersion;

/**
 * Brings a stored event to its current schema version and validates its data.
 * Unknown types pass through unchanged (a newer node may have written them); a known type whose data
 * does not match its schema throws `DomainError('INVALID_EVENT')`, because a projection must never fold garbage.
 */
export const upcastEvent = (raw: AnyDomainEvent): AnyDomainEvent => {
  const definition = current.get(raw.type);
  if (!definition) return raw;
  let event = raw;
  while (event.schemaVersion < definition.schemaVersion) {
    const step = upcasters[`${event.type}@${event.schemaVersion}`];
    if (!step) throw new DomainError('NO_UPCASTER', `no upcaster for ${event.type} v${event.schemaVersion}`);
    event = step(event);
  }
  return validateEvent(event);
};

/** Checks an event against the schema of its type and version before it is appended or folded. */
export const validateEvent = <E extends AnyDomainEvent>(event: E): E => {
  const definition = current.get(event.type);
  if (!definition) return event;
  if (event.schemaVersion !== definition.schemaVersion) {
    throw new DomainError('INVALID_EVENT', `${event.type} has schema version ${event.schemaVersion}, expected ${definition.schemaVersion}`);
  }
  const parsed = definition.schema.safeParse(event.data);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(data)'}: ${i.message}`).join('; ');
    throw new DomainError('INVALID_EVENT', `${event.type} v${event.schemaVersion}: ${detail}`);
  }
  return event;
};
