import { lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchema } from './index.js';

/** The schema as SDL, sorted so that the committed file changes only when the schema does. */
export const printSchemaSdl = (): string => `${printSchema(lexicographicSortSchema(buildSchema()))}\n`;
