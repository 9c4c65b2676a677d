// Prints the medians (min–max) of bench/accept/run.sh's CSV as a table, with each target's ratio to Postfix.
import { readFileSync } from 'node:fs';

const [file, msgs, size, sessions] = process.argv.slice(2);
const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
const cols = header.split(',');
const rows = lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const nums = (rs, key) => rs.map((r) => Number(r[key])).filter((n) => Number.isFinite(n) && n > 0);
const fmt = (xs) => (xs.length ? `${Math.round(median(xs))} (${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))})` : '–');
const targets = [...new Set(rows.map((r) => r.target))];
const rate = (t) => median(nums(rows.filter((r) => r.target === t && r.status === 'OK'), 'accept_mps'));
const reference = rate('postfix-hold');
console.log(`\nDurable acceptance: ${msgs} messages x ${size} B payload, ${sessions} smtp-source sessions, connections reused\n`);
console.log('| target | OK/runs | accepted msgs/s | x Postfix (accept, hold) | all in views after s | peak RSS MB (Elemta: its node process; Postfix: all its processes) | peak PSS MB (Elemta: its PostgreSQL; Postfix: all its processes) | machine CPU % |');
console.log('|---|---|---|---|---|---|---|---|');
for (const t of targets) {
  const rs = rows.filter((r) => r.target === t);
  const ok = rs.filter((r) => r.status === 'OK');
  const ratio = reference ? (rate(t) / reference).toFixed(2) : '–';
  console.log(`| ${t} | ${ok.length}/${rs.length} | ${fmt(nums(ok, 'accept_mps'))} | ${ratio} | ${fmt(nums(ok, 'visible_s'))} | ${fmt(nums(ok, 'peak_rss_mb'))} | ${fmt(nums(ok, 'pg_peak_pss_mb'))} | ${fmt(nums(ok, 'cpu_busy_pct'))} |`);
}
