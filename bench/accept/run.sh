#!/usr/bin/env bash
# bench/accept/run.sh — durable SMTP acceptance: Elemta beside Postfix, same machine, same load, same run.
#
#   npm run bench:accept                      # 3 interleaved repetitions of each target
#   REPS=5 MSGS=10000 SIZE=1024 SESSIONS=20 bash bench/accept/run.sh
#
# Load (identical for every target): smtp-source -s SESSIONS -m MSGS -l SIZE -d (connections reused).
# Targets: elemta (250 after body fsync + MessageAccepted/MessageQueued committed), postfix-hold (Postfix's durable
# acceptance: queue file fsync'd, put on hold) and postfix (accept + relay to smtp-sink), the last two run by
# ../shared/bench/run-one.sh. Prints a table of medians (min–max) and Elemta's peak RSS; writes a CSV.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${SHARED_BENCH:-$(cd "$ROOT/../shared/bench" 2>/dev/null && pwd)}
MSGS=${MSGS:-10000} SIZE=${SIZE:-1024} SESSIONS=${SESSIONS:-20} REPS=${REPS:-3}
TARGETS=${TARGETS:-"elemta postfix-hold postfix"}
export RUN_DIR=${RUN_DIR:-$ROOT/bench/run} RESULTS_DIR=${RESULTS_DIR:-$ROOT/bench/run/results}
mkdir -p "$RUN_DIR" "$RESULTS_DIR"
STAMP=$(date +%Y%m%dT%H%M%S)
CSV=$RESULTS_DIR/accept-$STAMP.csv
PORT_SMTP=2540 PORT_HTTP=2541 PORT_PG=2542
log() { echo "[$(date +%T)] $*" >&2; }

[ -n "$SHARED" ] && [ -x "$SHARED/run-one.sh" ] || { log "needs ../shared/bench (set SHARED_BENCH)"; exit 1; }
if ! command -v smtp-source >/dev/null; then
  log "installing Debian's postfix for smtp-source/smtp-sink"
  apt-get update -qq && echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null || exit 1
fi
(cd "$ROOT" && TURBO_TELEMETRY_DISABLED=1 npx turbo run build --output-logs=errors-only >/dev/null) || { log "build failed"; exit 1; }

echo "target,rep,status,accept_s,accept_mps,visible_s,peak_rss_mb,pg_peak_pss_mb,cpu_busy_pct" >"$CSV"

cpu() { awk '/^cpu /{b=$2+$3+$4+$7+$8; print b, b+$5+$6+$9}' /proc/stat; }

run_elemta() {
  local rep=$1 dir=$RUN_DIR/elemta-data pid pgpid key t0 t1 rc c0 c1 visible_s n hwm pss
  rm -rf "$dir"; mkdir -p "$dir"
  ELEMTA_DATA_DIR=$dir ELEMTA_SMTP_PORT=$PORT_SMTP ELEMTA_SUBMISSION_PORT=0 ELEMTA_HTTP_PORT=$PORT_HTTP \
    ELEMTA_PG_PORT=$PORT_PG ELEMTA_LOG_LEVEL=warn ELEMTA_HOSTNAME=mx.bench.test ELEMTA_DELIVERY_WORKERS=false \
    node "$ROOT/apps/cli/dist/main.js" serve >"$RUN_DIR/elemta.out" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT_HTTP/healthz" >/dev/null && break; sleep 0.1; done
  key=$(cat "$dir/admin.key")
  pgpid=$(head -1 "$dir/pg/postmaster.pid")
  "$SHARED/mem-sampler.sh" "$RUN_DIR/pg.mem" 600 "$pgpid" & local sampler=$!
  sync; sleep 0.5
  c0=$(cpu); t0=$(date +%s%N)
  timeout 300 smtp-source -s "$SESSIONS" -m "$MSGS" -l "$SIZE" -d -f bench@example.test -t rcpt@example.test \
    -M client.example.test "127.0.0.1:$PORT_SMTP" >"$RUN_DIR/source.out" 2>&1
  rc=$?; t1=$(date +%s%N); c1=$(cpu)
  # every acknowledged message must be in the tracking views: wait for the projection to catch up
  n=0
  for _ in $(seq 1 1200); do
    n=$(curl -sf -H "authorization: Bearer $key" -H 'content-type: application/json' \
      -d '{"query":"{ messages(first: 1) { totalCount } }"}' "http://127.0.0.1:$PORT_HTTP/graphql" | grep -o '"totalCount":[0-9]*' | cut -d: -f2)
    [ "${n:-0}" -ge "$MSGS" ] && break; sleep 0.05
  done
  visible_s=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN{printf "%.2f", (b-a)/1e9}')
  hwm=$(awk '/VmHWM/{print int($2/1024)}' "/proc/$pid/status")
  kill -TERM "$pid"; wait "$pid" 2>/dev/null
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
  pss=$(awk '{print int($2/1024)}' "$RUN_DIR/pg.mem" 2>/dev/null)
  local status=OK; [ "$rc" = 0 ] && [ "${n:-0}" = "$MSGS" ] || status="FAIL(rc=$rc,visible=$n)"
  local secs; secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b-a)/1e9}')
  local busy; busy=$(echo "$c0 $c1" | awk '{printf "%.0f", 100*($3-$1)/($4-$2)}')
  echo "elemta,$rep,$status,$secs,$(awk -v s="$secs" -v m="$MSGS" 'BEGIN{printf "%.0f", m/s}'),$visible_s,$hwm,$pss,$busy" >>"$CSV"
  [ "$status" = OK ] || { log "elemta: $status"; tail -5 "$RUN_DIR/source.out" "$RUN_DIR/elemta.out" >&2; }
}

run_postfix() {
  local target=$1 rep=$2 tmp=$RUN_DIR/pf.csv row
  rm -f "$tmp"
  CSV=$tmp REP=$rep "$SHARED/run-one.sh" "$target" "$MSGS" "$SIZE" "$SESSIONS" 1 >/dev/null 2>"$RUN_DIR/pf.err"
  row=$(tail -1 "$tmp" 2>/dev/null) || row=""
  [ -n "$row" ] || { log "$target failed: $(tail -3 "$RUN_DIR/pf.err")"; return; }
  # run-one.sh columns: date,target,msgs,size,sessions,reuse,rep,status,accept_s,accept_mps,e2e_s,e2e_mps,...,peak_rss_mb,peak_pss_mb,cpu
  echo "$row" | awk -F, -v rep="$rep" '{print $2","rep","$8","$9","$10",,"$16","$17","$18}' >>"$CSV"
}

for rep in $(seq 1 "$REPS"); do
  for t in $TARGETS; do
    log "rep $rep/$REPS: $t ($MSGS x $SIZE B, $SESSIONS sessions)"
    case $t in elemta) run_elemta "$rep" ;; *) run_postfix "$t" "$rep" ;; esac
  done
done

node "$ROOT/bench/accept/summarize.mjs" "$CSV" "$MSGS" "$SIZE" "$SESSIONS"
echo "raw: $CSV"
