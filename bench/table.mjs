// Shared by bench/*/summarize.mjs: reads a run.sh CSV and formats medians (min–max).
import { readFileSync } from 'node:fs';

export const readRows = (file) => {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const cols = header.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
};
export const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
export const nums = (rs, key) => rs.map((r) => Number(r[key])).filter((n) => Number.isFinite(n) && n > 0);
export const fmt = (xs) => (xs.length ? `${Math.round(median(xs))} (${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))})` : '–');
export const okRows = (rows, target) => rows.filter((r) => r.target === target && r.status === 'OK');
export const targetsOf = (rows) => [...new Set(rows.map((r) => r.target))];
