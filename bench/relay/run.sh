#!/usr/bin/env bash
# bench/relay/run.sh — accept and deliver: Elemta beside Postfix relaying the same load to the same smtp-sink,
# same machine, same run.
#
#   npm run bench:relay                       # 3 interleaved repetitions of each target
#   REPS=5 MSGS=10000 SIZE=1024 SESSIONS=20 bash bench/relay/run.sh
#
# Load (identical for every target): smtp-source -s SESSIONS -m MSGS -l SIZE -d (connections reused) into the
# server; the server relays everything to Postfix's smtp-sink on 127.0.0.1:2527. Elemta uses a smarthost route to
# the sink (Postfix's benchmark setup uses relayhost = [127.0.0.1]:2527, the same thing), with its delivery workers,
# pooled connections and every attempt recorded as events. delivered msgs/s = MSGS / (start of smtp-source until the
# sink counted MSGS). Postfix is run by ../shared/bench/run-one.sh postfix. Prints medians (min–max); writes a CSV.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${SHARED_BENCH:-$(cd "$ROOT/../shared/bench" 2>/dev/null && pwd)}
MSGS=${MSGS:-10000} SIZE=${SIZE:-1024} SESSIONS=${SESSIONS:-20} REPS=${REPS:-3}
TARGETS=${TARGETS:-"elemta postfix"}
export RUN_DIR=${RUN_DIR:-$ROOT/bench/run} RESULTS_DIR=${RESULTS_DIR:-$ROOT/bench/run/results}
mkdir -p "$RUN_DIR" "$RESULTS_DIR"
# shellcheck source=/dev/null
. "$SHARED/lib.sh" || { echo "needs ../shared/bench (set SHARED_BENCH)" >&2; exit 1; }
STAMP=$(date +%Y%m%dT%H%M%S)
CSV=$RESULTS_DIR/relay-$STAMP.csv
PORT_SMTP=2540 PORT_HTTP=2541 PORT_ELEMTA_PG=2542

if ! command -v smtp-source >/dev/null; then
  log "installing Debian's postfix for smtp-source/smtp-sink"
  apt-get update -qq && echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null || exit 1
fi
(cd "$ROOT" && TURBO_TELEMETRY_DISABLED=1 npx turbo run build --output-logs=errors-only >/dev/null) || { log "build failed"; exit 1; }

echo "target,rep,status,accept_s,accept_mps,e2e_s,e2e_mps,peak_rss_mb,pg_peak_pss_mb,cpu_busy_pct" >"$CSV"

cpu() { awk '/^cpu /{b=$2+$3+$4+$7+$8; print b, b+$5+$6+$9}' /proc/stat; }
rate() { awk -v s="$1" -v m="$MSGS" 'BEGIN{printf "%.0f", m/s}'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", (b-a)/1e9}'; }

run_elemta() {
  local rep=$1 dir=$RUN_DIR/elemta-data pid pgpid t0 t1 t2 rc c0 c1 hwm pss sink delivered
  rm -rf "$dir"; mkdir -p "$dir"
  cat >"$dir/elemta.yaml" <<YAML
delivery:
  mode: relay
  routes: { defaultRoute: sink }
  transports: { sink: { kind: smarthost, host: 127.0.0.1, port: $PORT_SINK, maxConnectionsPerDestination: 20 } }
YAML
  sink=$(sink_start "$RUN_DIR/sink.log") || return
  ELEMTA_CONFIG=$dir/elemta.yaml ELEMTA_DATA_DIR=$dir ELEMTA_SMTP_PORT=$PORT_SMTP ELEMTA_SUBMISSION_PORT=0 \
    ELEMTA_HTTP_PORT=$PORT_HTTP ELEMTA_PG_PORT=$PORT_ELEMTA_PG ELEMTA_LOG_LEVEL=warn ELEMTA_HOSTNAME=mx.bench.test \
    node "$ROOT/apps/cli/dist/main.js" serve >"$RUN_DIR/elemta.out" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT_HTTP/healthz" >/dev/null && break; sleep 0.1; done
  pgpid=$(head -1 "$dir/pg/postmaster.pid")
  "$SHARED/mem-sampler.sh" "$RUN_DIR/pg.mem" 600 "$pgpid" & local sampler=$!
  sync; sleep 0.5
  c0=$(cpu); t0=$(date +%s%N)
  timeout 300 smtp-source -s "$SESSIONS" -m "$MSGS" -l "$SIZE" -d -f bench@example.test -t rcpt@example.test \
    -M client.example.test "127.0.0.1:$PORT_SMTP" >"$RUN_DIR/source.out" 2>&1
  rc=$?; t1=$(date +%s%N)
  wait_sink_count "$RUN_DIR/sink.log" "$MSGS" 300
  t2=$(date +%s%N); c1=$(cpu)
  delivered=$(sink_count "$RUN_DIR/sink.log")
  hwm=$(awk '/VmHWM/{print int($2/1024)}' "/proc/$pid/status")
  stop_pid "$pid" 60; wait "$pid" 2>/dev/null
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
  stop_pid "$sink"; wait "$sink" 2>/dev/null
  pss=$(awk '{print int($2/1024)}' "$RUN_DIR/pg.mem" 2>/dev/null)
  local status=OK; [ "$rc" = 0 ] && [ "$delivered" -ge "$MSGS" ] || status="FAIL(rc=$rc,delivered=$delivered)"
  local a e busy; a=$(secs "$t0" "$t1"); e=$(secs "$t0" "$t2")
  busy=$(echo "$c0 $c1" | awk '{printf "%.0f", 100*($3-$1)/($4-$2)}')
  echo "elemta,$rep,$status,$a,$(rate "$a"),$e,$(rate "$e"),$hwm,$pss,$busy" >>"$CSV"
  [ "$status" = OK ] || { log "elemta: $status"; tail -5 "$RUN_DIR/source.out" "$RUN_DIR/elemta.out" >&2; }
}

run_postfix() {
  local rep=$1 tmp=$RUN_DIR/pf.csv row
  rm -f "$tmp"
  CSV=$tmp REP=$rep "$SHARED/run-one.sh" postfix "$MSGS" "$SIZE" "$SESSIONS" 1 >/dev/null 2>"$RUN_DIR/pf.err"
  row=$(tail -1 "$tmp" 2>/dev/null) || row=""
  [ -n "$row" ] || { log "postfix failed: $(tail -3 "$RUN_DIR/pf.err")"; return; }
  # run-one.sh columns: date,target,msgs,size,sessions,reuse,rep,status,accept_s,accept_mps,e2e_s,e2e_mps,...,peak_rss_mb,peak_pss_mb,cpu
  echo "$row" | awk -F, -v rep="$rep" '{print $2","rep","$8","$9","$10","$11","$12","$16","$17","$18}' >>"$CSV"
}

for rep in $(seq 1 "$REPS"); do
  for t in $TARGETS; do
    log "rep $rep/$REPS: $t ($MSGS x $SIZE B, $SESSIONS sessions)"
    case $t in elemta) run_elemta "$rep" ;; postfix) run_postfix "$rep" ;; *) log "unknown target $t" ;; esac
  done
done

node "$ROOT/bench/relay/summarize.mjs" "$CSV" "$MSGS" "$SIZE" "$SESSIONS"
echo "raw: $CSV"
