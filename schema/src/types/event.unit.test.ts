import { isInterfaceType, isObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { adminEventDefinitions, eventTypes, messageEventDefinitions, sessionEventDefinitions } from '@elemta/domain';
import { buildSchema } from '../index.js';
import { eventObjectName, typedEventObjects } from './event.js';

const definitions = [...messageEventDefinitions, ...sessionEventDefinitions, ...adminEventDefinitions];

/** Data fields exposed under another name (the Event interface owns the name), or left to the interface. */
const renamed: Readonly<Record<string, Readonly<Record<string, string | null>>>> = {
  MessageHeld: { actor: 'requestedBy' }, MessageReleased: { actor: 'requestedBy' },
  MessageCancelled: { actor: 'requestedBy' }, RetryRequested: { actor: 'requestedBy' },
  // the data's actor repeats the metadata's, which is the Event's `actor`
  SmtpUserAdded: { actor: null }, SmtpUserRemoved: { actor: null }, SmtpUserPasswordChanged: { actor: null },
};

const dataKeys = (definition: (typeof definitions)[number]): string[] =>
  Object.keys((definition.schema as unknown as { shape: Record<string, unknown> }).shape);

describe('the Event interface', () => {
  const schema = buildSchema();

  it('has a typed object implementing Event for every event type of the catalogue', () => {
    const event = schema.getType('Event');
    expect(isInterfaceType(event)).toBe(true);
    const implementations = schema.getPossibleTypes(event as never).map((t) => t.name).sort();
    expect(implementations).toEqual([...eventTypes.map((type) => `${type}Event`), 'GenericEvent'].sort());
    expect(Object.fromEntries(typedEventObjects())).toEqual(Object.fromEntries(eventTypes.map((type) => [type, `${type}Event`])));
  });

  it.each(definitions.map((d) => [d.type, d] as const))('exposes every data field of %s as a typed field', (type, definition) => {
    const object = schema.getType(`${type}Event`);
    if (!isObjectType(object)) throw new Error(`${type}Event is not an object type`);
    const fields = Object.keys(object.getFields());
    const expected = dataKeys(definition).map((key) => (key in (renamed[type] ?? {}) ? renamed[type]![key]! : key)).filter((k) => k !== null);
    expect(fields).toEqual(expect.arrayContaining(expected));
  });

  it('resolves the typed object only for the schema version it describes, else GenericEvent', () => {
    expect(eventObjectName({ type: 'MessageAccepted', schemaVersion: 1 })).toBe('MessageAcceptedEvent');
    expect(eventObjectName({ type: 'MessageAccepted', schemaVersion: 2 })).toBe('GenericEvent');
    expect(eventObjectName({ type: 'SomethingNewHappened', schemaVersion: 1 })).toBe('GenericEvent');
  });
});
