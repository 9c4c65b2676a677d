#!/usr/bin/env node
// Enforces the dependency rules of STYLE.md §1 and §9 on every package's sources (tests excluded):
// which packages may import which, no I/O in domain, and no process.env outside the config loader and app entry points.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const rules = {
  domain: { dirs: ['domain/src'], allow: (s) => s === 'zod' },
  infra: { dirs: ['infra/src'], allow: (s) => !s.startsWith('@elemta/') || s === '@elemta/domain' },
  projections: { dirs: ['projections/src'], allow: (s) => ['@elemta/domain', 'pg'].includes(s) || s.startsWith('node:') },
  schema: { dirs: ['schema/src'], allow: (s) => ['@elemta/domain', '@elemta/projections', 'graphql'].includes(s) || s.startsWith('@pothos/') },
  dashboard: { dirs: ['apps/dashboard/app', 'apps/dashboard/components', 'apps/dashboard/lib'], allow: (s) => !s.startsWith('@elemta/') && !s.startsWith('node:') },
  mta: { dirs: ['apps/mta/src'], allow: () => true },
  cli: { dirs: ['apps/cli/src'], allow: () => true },
};
const envReaders = new Set(['infra/src/config/load-config.ts', 'apps/cli/src/main.ts']);
// build-time tools, not part of the package's runtime (excluded from its build)
const tools = new Set(['schema/src/print-schema.ts']);

const isTest = (f) => /\.(test|spec)\.tsx?$/.test(f) || f.includes('/testing/') || f.endsWith('.contract.ts');
const walk = (dir) => readdirSync(dir).flatMap((name) => {
  const path = join(dir, name);
  return statSync(path).isDirectory() ? walk(path) : /\.tsx?$/.test(name) && !isTest(path) ? [path] : [];
});

// `check-boundaries.mjs <package>` checks one package (its own lint task); without an argument, all of them.
const only = process.argv[2];
if (only && !(only in rules)) {
  console.error(`unknown package ${only}; one of ${Object.keys(rules).join(', ')}`);
  process.exit(2);
}
const problems = [];
let files = 0;
for (const [pkg, rule] of Object.entries(rules).filter(([name]) => !only || name === only)) {
  for (const dir of rule.dirs) {
    for (const file of walk(join(root, dir))) {
      files++;
      const rel = relative(root, file);
      if (tools.has(rel)) continue;
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
        const spec = match[1] ?? match[2];
        if (spec.startsWith('.') || spec.startsWith('@/')) continue;
        if (!rule.allow(spec)) problems.push(`${rel}: ${pkg} may not import '${spec}'`);
      }
      if (/process\.env\b/.test(text.replace(/\/\/.*|\/\*[\s\S]*?\*\//g, '')) && !envReaders.has(rel)) {
        problems.push(`${rel}: reads process.env (only the config loader and app entry points may)`);
      }
    }
  }
}
if (problems.length > 0) {
  console.error(`dependency rules (STYLE.md §1, §9) broken:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(`dependency rules hold in ${files} source files${only ? ` of ${only}` : ''}`);
