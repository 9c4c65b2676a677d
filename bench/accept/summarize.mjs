// Prints the medians (min–max) of bench/accept/run.sh's CSV as a table, with each target's ratio to Postfix.
import { fmt, median, nums, okRows, readRows, targetsOf } from '../table.mjs';

const [file, msgs, size, sessions] = process.argv.slice(2);
const rows = readRows(file);
const rate = (t) => median(nums(okRows(rows, t), 'accept_mps'));
const reference = rate('postfix-hold');
console.log(`\nDurable acceptance: ${msgs} messages x ${size} B payload, ${sessions} smtp-source sessions, connections reused\n`);
console.log('| target | OK/runs | accepted msgs/s | x Postfix (accept, hold) | all in views after s | peak RSS MB (Elemta: its node process; Postfix: all its processes) | peak PSS MB (Elemta: its PostgreSQL; Postfix: all its processes) | machine CPU % |');
console.log('|---|---|---|---|---|---|---|---|');
for (const t of targetsOf(rows)) {
  const ok = okRows(rows, t);
  const ratio = reference ? (rate(t) / reference).toFixed(2) : '–';
  console.log(`| ${t} | ${ok.length}/${rows.filter((r) => r.target === t).length} | ${fmt(nums(ok, 'accept_mps'))} | ${ratio} | ${fmt(nums(ok, 'visible_s'))} | ${fmt(nums(ok, 'peak_rss_mb'))} | ${fmt(nums(ok, 'pg_peak_pss_mb'))} | ${fmt(nums(ok, 'cpu_busy_pct'))} |`);
}
