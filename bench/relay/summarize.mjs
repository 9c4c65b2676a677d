// Prints the medians (min–max) of bench/relay/run.sh's CSV as a table, with Elemta's end-to-end ratio to Postfix.
import { readFileSync } from 'node:fs';

const [file, msgs, size, sessions] = process.argv.slice(2);
const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
const cols = header.split(',');
const rows = lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const nums = (rs, key) => rs.map((r) => Number(r[key])).filter((n) => Number.isFinite(n) && n > 0);
const fmt = (xs) => (xs.length ? `${Math.round(median(xs))} (${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))})` : '–');
const targets = [...new Set(rows.map((r) => r.target))];
const ok = (t) => rows.filter((r) => r.target === t && r.status === 'OK');
const reference = median(nums(ok('postfix'), 'e2e_mps'));
console.log(`\nAccept and relay to smtp-sink: ${msgs} messages x ${size} B payload, ${sessions} smtp-source sessions, connections reused\n`);
console.log('| target | OK/runs | delivered msgs/s (end to end) | x Postfix (end to end) | accepted msgs/s | peak RSS MB (Elemta: its node process; Postfix: all its processes) | peak PSS MB (Elemta: its PostgreSQL; Postfix: all its processes) | machine CPU % |');
console.log('|---|---|---|---|---|---|---|---|');
for (const t of targets) {
  const rs = rows.filter((r) => r.target === t);
  const good = ok(t);
  const e2e = nums(good, 'e2e_mps');
  const ratio = reference && e2e.length ? (median(e2e) / reference).toFixed(2) : '–';
  console.log(`| ${t} | ${good.length}/${rs.length} | ${fmt(e2e)} | ${ratio} | ${fmt(nums(good, 'accept_mps'))} | ${fmt(nums(good, 'peak_rss_mb'))} | ${fmt(nums(good, 'pg_peak_pss_mb'))} | ${fmt(nums(good, 'cpu_busy_pct'))} |`);
}
