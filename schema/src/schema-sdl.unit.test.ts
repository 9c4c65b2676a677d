import { readFileSync } from 'node:fs';
import { isEnumType, isInputObjectType, isInterfaceType, isObjectType, isScalarType, isUnionType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildSchema } from './index.js';
import { printSchemaSdl } from './schema-sdl.js';

describe('schema.graphql', () => {
  it('matches the printed schema (run `npm run schema:print` after changing types)', () => {
    const committed = readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');
    expect(printSchemaSdl()).toBe(committed);
  });

  it('describes every type, field, argument and enum value', () => {
    const undocumented: string[] = [];
    const ours = Object.values(buildSchema().getTypeMap()).filter((type) => !type.name.startsWith('__'));
    for (const type of ours) {
      if (isScalarType(type) && ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name)) continue;
      if (!type.description) undocumented.push(type.name);
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) undocumented.push(`${type.name}.${field.name}`);
          for (const arg of 'args' in field ? field.args : []) {
            if (!arg.description) undocumented.push(`${type.name}.${field.name}(${arg.name})`);
          }
        }
      }
      if (isEnumType(type)) {
        undocumented.push(...type.getValues().filter((v) => !v.description).map((v) => `${type.name}.${v.name}`));
      }
      if (isUnionType(type) && !type.description) undocumented.push(type.name);
    }
    expect(undocumented).toEqual([]);
  });
});
