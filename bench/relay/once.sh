#!/usr/bin/env bash
# bench/relay/once.sh [MSGS] — one quick Elemta relay measurement (no Postfix): a fresh data directory, a smarthost
# route to smtp-sink, `smtp-source -s 20 -m MSGS -l 1024 -d`, then accepted and delivered msgs/s and the CPU ticks
# of the node process and of its PostgreSQL over the load. For trying a change quickly; run.sh is the comparison with
# Postfix. Needs a build (npm run build), smtp-source and smtp-sink. NODEFLAGS passes flags to node (e.g. --cpu-prof).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=${1:-5000}
DIR=$(mktemp -d)
trap 'kill -TERM "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; kill "$SINK" 2>/dev/null; rm -rf "$DIR"' EXIT
cat >"$DIR/elemta.yaml" <<YAML
delivery:
  mode: relay
  routes: { defaultRoute: sink }
  transports: { sink: { kind: smarthost, host: 127.0.0.1, port: 2557, maxConnectionsPerDestination: 20 } }
YAML
smtp-sink -c -u nobody -m 512 127.0.0.1:2557 1024 >"$DIR/sink.log" 2>&1 &
SINK=$!
# shellcheck disable=SC2086
ELEMTA_CONFIG=$DIR/elemta.yaml ELEMTA_DATA_DIR=$DIR ELEMTA_SMTP_PORT=2550 ELEMTA_SUBMISSION_PORT=0 ELEMTA_HTTP_PORT=2551 \
  ELEMTA_PG_PORT=2552 ELEMTA_LOG_LEVEL=warn node ${NODEFLAGS:-} "$ROOT/apps/cli/dist/main.js" serve >"$DIR/elemta.out" 2>&1 &
PID=$!
for _ in $(seq 1 600); do curl -sf http://127.0.0.1:2551/healthz >/dev/null && break; sleep 0.1; done
ticks() { local s=0 p; for p in "$@"; do [ -r "/proc/$p/stat" ] && s=$((s + $(awk '{print $14+$15}' "/proc/$p/stat"))); done; echo "$s"; }
# the postmaster and its backends (the pool's connections live for the whole run)
pg() { local pm; pm=$(head -1 "$DIR/pg/postmaster.pid"); echo "$pm $(pgrep -P "$pm" | tr '\n' ' ')"; }
count() { tail -c 300 "$DIR/sink.log" | tr '\r' '\n' | grep -o 'mesg=[0-9]*' | tail -1 | cut -d= -f2; }
# shellcheck disable=SC2046
n0=$(ticks "$PID"); p0=$(ticks $(pg)); t0=$(date +%s%N)
smtp-source -s 20 -m "$N" -l 1024 -d -f bench@example.test -t rcpt@example.test -M client.example.test 127.0.0.1:2550 || exit 1
t1=$(date +%s%N)
for _ in $(seq 1 3000); do [ "$(count)" -ge "$N" ] 2>/dev/null && break; sleep 0.02; done
# shellcheck disable=SC2046
t2=$(date +%s%N); n1=$(ticks "$PID"); p1=$(ticks $(pg))
echo "accepted msgs/s: $((N * 1000000000 / (t1 - t0)))  delivered msgs/s: $((N * 1000000000 / (t2 - t0)))  CPU ticks over the load: node $((n1 - n0)), PostgreSQL $((p1 - p0))"
