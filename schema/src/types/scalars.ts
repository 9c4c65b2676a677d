import { GraphQLError, Kind, valueFromASTUntyped } from 'graphql';
import type { ValueNode } from 'graphql';
import { builder } from '../builder.js';

// RFC 3339 profile of ISO-8601: a full date, a time and an explicit offset. Seconds may be omitted.
const dateTimePattern =
  /^(\d{4})-(\d{2})-(\d{2})T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/i;

const isRealDate = (year: number, month: number, day: number): boolean => {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
};

/** Validates an ISO-8601 date-time with an offset and returns it normalised to UTC (`…Z`). */
export const parseDateTime = (value: unknown): string => {
  const match = typeof value === 'string' ? dateTimePattern.exec(value) : null;
  if (!match || !isRealDate(Number(match[1]), Number(match[2]), Number(match[3]))) {
    throw new GraphQLError(
      `DateTime must be an ISO-8601 date-time with a time zone, e.g. "2026-11-20T09:30:00Z"; got ${JSON.stringify(value)}`,
    );
  }
  return new Date(match[0]).toISOString();
};

builder.scalarType('DateTime', {
  description: 'A point in time as an ISO-8601 string with a time zone, e.g. "2026-11-20T09:30:00.000Z". Always returned in UTC.',
  serialize: (value) => (value instanceof Date ? value.toISOString() : parseDateTime(value)),
  parseValue: parseDateTime,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be given as a string', { nodes: ast });
    return parseDateTime(ast.value);
  },
});

builder.scalarType('JSON', {
  description: 'Any JSON value: object, array, string, number, boolean or null.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast: ValueNode, variables) => valueFromASTUntyped(ast, variables ?? undefined),
});
