import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { settingsTable } from './settings-table.js';

describe('.env.example', () => {
  it('lists exactly the environment variables loadConfig reads', () => {
    const text = readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8');
    const listed = [...text.matchAll(/^# ([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]);
    expect(listed).toEqual(settingsTable.flatMap((s) => (s.env ? [s.env] : [])));
  });
});
