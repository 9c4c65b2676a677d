import { z } from 'zod';

/** An event as the domain sees it: a past-tense fact with a frozen schema version. */
export type DomainEvent<Type extends string, Version extends number, Data> = Readonly<{
  type: Type;
  schemaVersion: Version;
  data: Readonly<Data>;
}>;

export type AnyDomainEvent = DomainEvent<string, number, unknown>;

export const isoTimestamp = z.string().datetime({ offset: true });

/** SMTP replies are always `{ code, enhancedCode, text, command }`. */
export const smtpReplySchema = z.object({
  code: z.number().int().min(200).max(599),
  enhancedCode: z.string().regex(/^[245]\.\d{1,3}\.\d{1,3}$/).nullable(),
  text: z.string(),
  command: z.string(),
});
export type SmtpReply = z.infer<typeof smtpReplySchema>;

export const clientSchema = z.object({
  address: z.string(),
  port: z.number().int().min(0).max(65535),
  reverseDns: z.string().nullable(),
  helo: z.string().nullable(),
});
export type ClientInfo = z.infer<typeof clientSchema>;

export const tlsSchema = z.object({ protocol: z.string(), cipher: z.string() }).nullable();

export const prioritySchema = z.enum(['low', 'normal', 'high', 'critical']);
export type Priority = z.infer<typeof prioritySchema>;

/** Builds the constructor and the zod schema of one event type and version. */
export const defineEvent = <Type extends string, Version extends number, Schema extends z.ZodType>(
  type: Type,
  schemaVersion: Version,
  schema: Schema,
) => {
  const make = (data: z.infer<Schema>): DomainEvent<Type, Version, z.infer<Schema>> =>
    ({ type, schemaVersion, data }) as DomainEvent<Type, Version, z.infer<Schema>>;
  return Object.assign(make, { type, schemaVersion, schema });
};

export type EventOf<Ctor extends (data: never) => AnyDomainEvent> = ReturnType<Ctor>;
