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
BENCH_NAME=relay
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"
# smtp-sink's start, count and wait helpers (sink_start, sink_count, wait_sink_count, stop_pid) and PORT_SINK
# shellcheck source=/dev/null
. "$SHARED/lib.sh"
TARGETS=${TARGETS:-"elemta postfix"}

echo "target,rep,status,accept_s,accept_mps,e2e_s,e2e_mps,peak_rss_mb,pg_peak_pss_mb,cpu_busy_pct" >"$CSV"

run_elemta() {
  local rep=$1 dir=$RUN_DIR/elemta-data t0 t1 t2 rc c0 c1 sink delivered
  rm -rf "$dir"; mkdir -p "$dir"
  cat >"$dir/elemta.yaml" <<YAML
delivery:
  mode: relay
  routes: { defaultRoute: sink }
  transports: { sink: { kind: smarthost, host: 127.0.0.1, port: $PORT_SINK, maxConnectionsPerDestination: 20 } }
YAML
  sink=$(sink_start "$RUN_DIR/sink.log") || return
  start_elemta "$dir" ELEMTA_CONFIG="$dir/elemta.yaml"
  sample_pg "$dir"
  sync; sleep 0.5
  c0=$(cpu); t0=$(date +%s%N)
  load; rc=$?
  t1=$(date +%s%N)
  wait_sink_count "$RUN_DIR/sink.log" "$MSGS" 300
  t2=$(date +%s%N); c1=$(cpu)
  delivered=$(sink_count "$RUN_DIR/sink.log")
  stop_elemta
  stop_pid "$sink"; wait "$sink" 2>/dev/null
  local status=OK; [ "$rc" = 0 ] && [ "$delivered" -ge "$MSGS" ] || status="FAIL(rc=$rc,delivered=$delivered)"
  local a e; a=$(secs "$t0" "$t1"); e=$(secs "$t0" "$t2")
  echo "elemta,$rep,$status,$a,$(rate "$a"),$e,$(rate "$e"),$HWM,$PSS,$(busy_pct "$c0" "$c1")" >>"$CSV"
  [ "$status" = OK ] || { log "elemta: $status"; tail -5 "$RUN_DIR/source.out" "$RUN_DIR/elemta.out" >&2; }
}

for rep in $(seq 1 "$REPS"); do
  for t in $TARGETS; do
    log "rep $rep/$REPS: $t ($MSGS x $SIZE B, $SESSIONS sessions)"
    case $t in
      elemta) run_elemta "$rep" ;;
      postfix) run_shared postfix "$rep" '$2","rep","$8","$9","$10","$11","$12","$16","$17","$18' ;;
      *) log "unknown target $t" ;;
    esac
  done
done

node "$ROOT/bench/relay/summarize.mjs" "$CSV" "$MSGS" "$SIZE" "$SESSIONS"
echo "raw: $CSV"
