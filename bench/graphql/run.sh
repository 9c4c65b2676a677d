#!/usr/bin/env bash
# bench/graphql/run.sh — GraphQL read latency on a loaded store (on demand; not part of `npm test`).
#
#   npm run bench:graphql                        # 100,000 messages, 2,000 measured requests per query
#   MSGS=100000 SENDERS=5 SESSIONS=20 N=2000 WARMUP=200 bash bench/graphql/run.sh
#
# Load, through the real append path: `elemta serve` (embedded PostgreSQL, the PostgreSQL event store, delivery mode
# capture with workers on, so each message also gets its delivery events) receives MSGS messages from smtp-source over
# SMTP, in SENDERS runs with their own envelope sender, recipient and subject (variety for the filter). Then
# measure.mjs waits until the views show every message delivered, and measures over HTTP with keep-alive, one request
# at a time after a warm-up: `message(id)` with recipients and timeline for random ids, and a filtered `messages`
# page (sender + status, first: 50, with totalCount; half of them continuing with `after`). Target: p99 < 20 ms.
# Before measuring it runs VACUUM (ANALYZE), as autovacuum would after the bulk load (VACUUM=0 skips it, to measure
# with autovacuum's catch-up running beside the requests).
# Prints a table and writes a CSV. The loaded data directory stays in $RUN_DIR/graphql-data for EXPLAIN ANALYZE
# (KEEP=1 leaves Elemta running on it).
set -uo pipefail
BENCH_NAME=graphql
MSGS=${MSGS:-100000}
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"
SENDERS=${SENDERS:-5}
# ports of their own, so that this bench and bench:accept can share a machine
PORT_SMTP=2550 PORT_HTTP=2551 PORT_ELEMTA_PG=2552

echo "query,n,p50_ms,p95_ms,p99_ms,max_ms,messages,load_s,projected_after_s,events_per_message,machine" >"$CSV"

dir=$RUN_DIR/graphql-data
rm -rf "$dir"; mkdir -p "$dir"
# smtp-source keeps its sessions open for every message (-d): lift the per-session message limit (1,000)
echo "smtp: { maxMessagesPerSession: 1000000 }" >"$dir.yaml"
log "starting elemta (capture mode, delivery workers on)"
start_elemta "$dir" ELEMTA_CONFIG="$dir.yaml"
key=$(cat "$dir/admin.key") || { log "elemta did not start"; tail -20 "$RUN_DIR/elemta.out" >&2; exit 1; }

per=$((MSGS / SENDERS)) senders=()
t0=$(date +%s%N)
for i in $(seq 1 "$SENDERS"); do
  sender="sender$i@example$i.test"
  senders+=("$sender")
  log "loading $per messages from $sender ($i/$SENDERS)"
  timeout 900 smtp-source -s "$SESSIONS" -m "$per" -l "$SIZE" -d -f "$sender" -t "rcpt$i@dest$i.test" -S "bench run $i" \
    -M client.example.test "127.0.0.1:$PORT_SMTP" >"$RUN_DIR/source.out" 2>&1 \
    || { log "smtp-source failed"; tail -5 "$RUN_DIR/source.out" >&2; kill -TERM "$ELEMTA_PID"; wait "$ELEMTA_PID"; exit 1; }
done
load_s=$(secs "$t0" "$(date +%s%N)")
log "loaded $((per * SENDERS)) messages in ${load_s}s; waiting for delivery and the views"

# the embedded PostgreSQL's password is base64url: safe in a URL as it is
pg_url="postgres://postgres:$(cat "$dir/pg-password")@127.0.0.1:$PORT_ELEMTA_PG/elemta"
[ "${VACUUM:-1}" = 1 ] || pg_url=""
(IFS=,; PG_URL=$pg_url node "$ROOT/bench/graphql/measure.mjs" "$PORT_HTTP" "$key" "$((per * SENDERS))" "${senders[*]}" "$CSV" "$load_s")
rc=$?

if [ "${KEEP:-0}" = 1 ]; then
  log "KEEP=1: elemta still runs (pid $ELEMTA_PID, GraphQL on $PORT_HTTP, PostgreSQL on $PORT_ELEMTA_PG, data in $dir)"
else
  kill -TERM "$ELEMTA_PID"; wait "$ELEMTA_PID" 2>/dev/null
fi
echo "raw: $CSV"
exit $rc
