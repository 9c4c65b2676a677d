// Prints the medians (min–max) of bench/relay/run.sh's CSV as a table, with Elemta's end-to-end ratio to Postfix.
import { fmt, median, nums, okRows, readRows, targetsOf } from '../table.mjs';

const [file, msgs, size, sessions] = process.argv.slice(2);
const rows = readRows(file);
const reference = median(nums(okRows(rows, 'postfix'), 'e2e_mps'));
console.log(`\nAccept and relay to smtp-sink: ${msgs} messages x ${size} B payload, ${sessions} smtp-source sessions, connections reused\n`);
console.log('| target | OK/runs | delivered msgs/s (end to end) | x Postfix (end to end) | accepted msgs/s | peak RSS MB (Elemta: its node process; Postfix: all its processes) | peak PSS MB (Elemta: its PostgreSQL; Postfix: all its processes) | machine CPU % |');
console.log('|---|---|---|---|---|---|---|---|');
for (const t of targetsOf(rows)) {
  const good = okRows(rows, t);
  const e2e = nums(good, 'e2e_mps');
  const ratio = reference && e2e.length ? (median(e2e) / reference).toFixed(2) : '–';
  console.log(`| ${t} | ${good.length}/${rows.filter((r) => r.target === t).length} | ${fmt(e2e)} | ${ratio} | ${fmt(nums(good, 'accept_mps'))} | ${fmt(nums(good, 'peak_rss_mb'))} | ${fmt(nums(good, 'pg_peak_pss_mb'))} | ${fmt(nums(good, 'cpu_busy_pct'))} |`);
}
