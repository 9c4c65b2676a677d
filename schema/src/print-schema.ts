// `npm run schema:print`: writes schema/schema.graphql, which is committed and checked by
// schema-sdl.unit.test.ts so that schema changes show up in review.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printSchemaSdl } from './schema-sdl.js';

const target = fileURLToPath(new URL('../schema.graphql', import.meta.url));
writeFileSync(target, printSchemaSdl());
console.log(`wrote ${target}`);
