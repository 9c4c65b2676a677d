// bench/graphql/measure.mjs — waits until a loaded Elemta's views show every message delivered, then measures GraphQL
// latency over HTTP with keep-alive (Node's fetch), one request at a time, after a warm-up:
//   message(id) with its recipients and timeline, for random ids;
//   a filtered messages page (sender + status, first: 50, totalCount), half first pages, half continuing with `after`.
// Prints a table of p50/p95/p99/max in ms and appends rows to a CSV. With PG_URL set (Elemta's PostgreSQL), it first
// runs VACUUM (ANALYZE), the maintenance autovacuum would otherwise run beside the measurement right after a bulk load
// (in one run on two cores the page's p99 was 85 ms while autovacuum worked through the fresh tables, 10 ms once it
// had finished): the table is of the steady state.
//
//   [PG_URL=postgres://…] node bench/graphql/measure.mjs PORT KEY EXPECTED_MESSAGES SENDERS CSV LOAD_SECONDS
import { appendFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import pg from 'pg';

const [port, key, expectedArg, sendersArg, csv, loadSecondsArg] = process.argv.slice(2);
const expected = Number(expectedArg);
const senders = sendersArg.split(',');
const N = Number(process.env.N ?? 2000);
const WARMUP = Number(process.env.WARMUP ?? 200);
const url = `http://127.0.0.1:${port}/graphql`;

const gql = async (query, variables = {}) => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors).slice(0, 500));
  return body.data;
};

const COUNTS = `{ all: messages(first: 1) { totalCount } pending: messages(first: 1, filter: { status: [QUEUED, DEFERRED, HELD] }) { totalCount } }`;

const waitForViews = async () => {
  const started = Date.now();
  for (;;) {
    const { all, pending } = await gql(COUNTS);
    if (all.totalCount >= expected && pending.totalCount === 0) return { seconds: (Date.now() - started) / 1000, total: all.totalCount };
    if (Date.now() - started > 30 * 60_000) throw new Error(`views not caught up: ${all.totalCount} messages, ${pending.totalCount} pending`);
    await new Promise((r) => setTimeout(r, 1000));
  }
};

const IDS = `query ($after: String) { messages(first: 200, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`;

const allIds = async () => {
  const ids = [];
  for (let after = null; ;) {
    const { messages } = await gql(IDS, { after });
    ids.push(...messages.edges.map((e) => e.node.id));
    if (!messages.pageInfo.hasNextPage) return ids;
    after = messages.pageInfo.endCursor;
  }
};

const MESSAGE = `query ($id: ID!) { message(id: $id) {
  id status mailFrom subject size receivedAt listener
  recipients { address domain status route zone }
  events { __typename type position recordedAt actor data }
} }`;

const PAGE = `query ($sender: String!, $after: String) {
  messages(first: 50, after: $after, filter: { sender: $sender, status: [DELIVERED] }) {
    totalCount
    edges { cursor node { id status mailFrom subject receivedAt recipients { address status } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const pick = (xs) => xs[Math.floor(Math.random() * xs.length)];

const timed = async (fn) => {
  const t0 = performance.now();
  const result = await fn();
  return { ms: performance.now() - t0, result };
};

const messageRequest = (ids) => async () => {
  const id = pick(ids);
  const { ms, result } = await timed(() => gql(MESSAGE, { id }));
  if (result.message?.id !== id) throw new Error(`message ${id} not found`);
  return { ms, events: result.message.events.length };
};

// Half the pages are first pages; the other half continue one sender's walk with its last endCursor, so `after`
// cursors from the first page on and ever deeper pages are measured too.
const pageRequest = () => {
  const walks = new Map(senders.map((s) => [s, null]));
  let i = 0;
  return async () => {
    const sender = pick(senders);
    const continuing = i++ % 2 === 1;
    const after = continuing ? walks.get(sender) : null;
    const { ms, result } = await timed(() => gql(PAGE, { sender, after }));
    const page = result.messages;
    if (page.edges.length === 0 && !after) throw new Error(`no delivered messages from ${sender}`);
    walks.set(sender, page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null);
    return { ms, events: page.edges.length, deep: after !== null };
  };
};

const run = async (request) => {
  for (let i = 0; i < WARMUP; i++) await request();
  const samples = [];
  for (let i = 0; i < N; i++) samples.push(await request());
  return samples;
};

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
const stats = (samples) => {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  return { n: ms.length, p50: quantile(ms, 0.5), p95: quantile(ms, 0.95), p99: quantile(ms, 0.99), max: ms.at(-1) };
};

const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) ?? [])[1] ?? os.cpus()[0]?.model ?? 'unknown';
const machine = `${os.cpus().length} × ${cpu.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;

const vacuum = async () => {
  if (!process.env.PG_URL) return null;
  const client = new pg.Client({ connectionString: process.env.PG_URL });
  await client.connect();
  const started = Date.now();
  try {
    await client.query('VACUUM (ANALYZE)');
  } finally {
    await client.end();
  }
  return (Date.now() - started) / 1000;
};

const caughtUp = await waitForViews();
console.error(`views caught up ${caughtUp.seconds.toFixed(1)} s after loading: ${caughtUp.total} messages, none pending`);
const vacuumSeconds = await vacuum();
if (vacuumSeconds !== null) console.error(`VACUUM (ANALYZE) took ${vacuumSeconds.toFixed(1)} s`);
const ids = await allIds();
console.error(`${ids.length} message ids read; measuring ${WARMUP} + ${N} requests of each query`);
const message = stats(await run(messageRequest(ids)));
const pageSamples = await run(pageRequest());
const page = stats(pageSamples);
const eventsPer = (await Promise.all(Array.from({ length: 20 }, () => messageRequest(ids)()))).reduce((n, s) => n + s.events, 0) / 20;

const f = (x) => x.toFixed(1).padStart(6);
const loadSeconds = Number(loadSecondsArg);
console.log(`\nGraphQL read latency — ${machine}`);
console.log(`${caughtUp.total} messages loaded over SMTP in ${loadSeconds.toFixed(0)} s (${Math.round(caughtUp.total / loadSeconds)}/s), ` +
  `all delivered (capture) and projected ${caughtUp.seconds.toFixed(0)} s later; ${eventsPer.toFixed(1)} events per timeline` +
  `${vacuumSeconds === null ? '' : `; measured after VACUUM (ANALYZE) (${vacuumSeconds.toFixed(0)} s)`}\n`);
console.log('| query                                          |    n |    p50 |    p95 |    p99 |    max |');
console.log('|------------------------------------------------|-----:|-------:|-------:|-------:|-------:|');
const row = (name, s) => console.log(`| ${name.padEnd(46)} | ${String(s.n).padStart(4)} | ${f(s.p50)} | ${f(s.p95)} | ${f(s.p99)} | ${f(s.max)} |`);
row('message(id) + recipients + events', message);
row('messages(first: 50, sender + status, after)', page);
console.log('(milliseconds, sequential requests over one keep-alive connection, after a warm-up)');

for (const [name, s] of [['message', message], ['messages_page', page]]) {
  appendFileSync(csv, `${name},${s.n},${s.p50.toFixed(2)},${s.p95.toFixed(2)},${s.p99.toFixed(2)},${s.max.toFixed(2)},${caughtUp.total},` +
    `${loadSeconds.toFixed(1)},${caughtUp.seconds.toFixed(1)},${eventsPer.toFixed(1)},"${machine}"\n`);
}
