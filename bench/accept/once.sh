#!/usr/bin/env bash
# bench/accept/once.sh [MSGS] — one quick Elemta acceptance measurement (no Postfix): a fresh data directory,
# `smtp-source -s 20 -m MSGS -l 1024 -d`, then accepted msgs/s and the group-commit figures from /metrics.
# For trying a change quickly; run.sh is the comparison with Postfix. Needs a build (npm run build) and smtp-source.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MSGS=${1:-5000}
DIR=$(mktemp -d)
trap 'kill -TERM "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; rm -rf "$DIR"' EXIT
ELEMTA_DATA_DIR=$DIR ELEMTA_SMTP_PORT=2550 ELEMTA_SUBMISSION_PORT=0 ELEMTA_HTTP_PORT=2551 ELEMTA_PG_PORT=2552 \
  ELEMTA_LOG_LEVEL=warn ELEMTA_DELIVERY_WORKERS=false node "$ROOT/apps/cli/dist/main.js" serve >"$DIR/elemta.out" 2>&1 &
PID=$!
for _ in $(seq 1 600); do curl -sf http://127.0.0.1:2551/healthz >/dev/null && break; sleep 0.1; done
t0=$(date +%s%N)
smtp-source -s 20 -m "$MSGS" -l 1024 -d -f bench@example.test -t rcpt@example.test -M client.example.test 127.0.0.1:2550 || exit 1
t1=$(date +%s%N)
echo "accepted msgs/s: $(awk -v a="$t0" -v b="$t1" -v m="$MSGS" 'BEGIN{printf "%.0f", m/((b-a)/1e9)}')"
curl -s http://127.0.0.1:2551/metrics | awk '
  /^elemta_eventstore_append_duration_seconds_sum/ {s=$2} /^elemta_eventstore_append_duration_seconds_count/ {n=$2}
  /^elemta_eventstore_append_batch_size_appends_sum/ {b=$2}
  END { if (n) printf "group-commit statements: %d, mean %.2f ms, mean %.1f appends each\n", n, 1000*s/n, b/n }'
