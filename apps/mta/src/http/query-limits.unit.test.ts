import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { queryLimitsRule } from './query-limits.js';

const schema = buildSchema(`type Node { id: ID!, child: Node, children: [Node!]! } type Query { node: Node }`);
const nested = (depth: number) => `{ node ${'{ child '.repeat(depth - 2)}{ id }${' }'.repeat(depth - 2)} }`;
const errorsOf = (source: string, maxDepth = 12, maxFields = 1000) =>
  validate(schema, parse(source), [queryLimitsRule({ maxDepth, maxFields })]).map((e) => e.extensions['code']);

describe('query limits', () => {
  it('lets queries within the limits through', () => {
    expect(errorsOf(nested(12))).toEqual([]);
  });

  it('refuses a query nested deeper than the limit, also through fragments', () => {
    expect(errorsOf(nested(15))).toEqual(['QUERY_TOO_DEEP']);
    const viaFragments = `{ node { ...A } } fragment A on Node { child { ...B } } fragment B on Node { child { child { id } } }`;
    expect(errorsOf(viaFragments, 3)).toEqual(['QUERY_TOO_DEEP']);
    expect(errorsOf(viaFragments, 5)).toEqual([]);
  });

  it('refuses a query that selects too many fields (aliases count)', () => {
    const wide = `{ node { ${Array.from({ length: 30 }, (_, i) => `a${i}: id`).join(' ')} } }`;
    expect(errorsOf(wide, 12, 20)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(errorsOf(wide, 12, 40)).toEqual([]);
  });
});
