# bench/common.sh — sourced by bench/*/run.sh: paths, the shared Postfix benchmark, smtp-source, a fresh build,
# and helpers for CPU and timing. Expects BENCH_NAME to be set by the caller (it names the CSV).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=${SHARED_BENCH:-$(cd "$ROOT/../shared/bench" 2>/dev/null && pwd)}
MSGS=${MSGS:-10000} SIZE=${SIZE:-1024} SESSIONS=${SESSIONS:-20} REPS=${REPS:-3}
export RUN_DIR=${RUN_DIR:-$ROOT/bench/run} RESULTS_DIR=${RESULTS_DIR:-$ROOT/bench/run/results}
mkdir -p "$RUN_DIR" "$RESULTS_DIR"
CSV=$RESULTS_DIR/$BENCH_NAME-$(date +%Y%m%dT%H%M%S).csv
PORT_SMTP=2540 PORT_HTTP=2541 PORT_ELEMTA_PG=2542
log() { echo "[$(date +%T)] $*" >&2; }

[ -n "$SHARED" ] && [ -x "$SHARED/run-one.sh" ] || { log "needs ../shared/bench (set SHARED_BENCH)"; exit 1; }
if ! command -v smtp-source >/dev/null; then
  log "installing Debian's postfix for smtp-source/smtp-sink"
  apt-get update -qq && echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null || exit 1
fi
(cd "$ROOT" && TURBO_TELEMETRY_DISABLED=1 npx turbo run build --output-logs=errors-only >/dev/null) || { log "build failed"; exit 1; }

# cpu: "busy total" jiffies of both cores; busy_pct BEFORE AFTER: the share that was busy in between
cpu() { awk '/^cpu /{b=$2+$3+$4+$7+$8; print b, b+$5+$6+$9}' /proc/stat; }
busy_pct() { echo "$1 $2" | awk '{printf "%.0f", 100*($3-$1)/($4-$2)}'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", (b-a)/1e9}'; }
rate() { awk -v s="$1" -v m="$MSGS" 'BEGIN{printf "%.0f", m/s}'; }

# run_shared TARGET REP AWK_FIELDS: one ../shared/bench/run-one.sh measurement, its row reshaped onto our CSV.
# run-one.sh columns: date,target,msgs,size,sessions,reuse,rep,status,accept_s,accept_mps,e2e_s,e2e_mps,delivered,
# stored,queue_left,peak_rss_mb,peak_pss_mb,cpu_busy_pct,steal_pct
run_shared() {
  local target=$1 rep=$2 fields=$3 tmp=$RUN_DIR/shared.csv row
  rm -f "$tmp"
  CSV=$tmp REP=$rep "$SHARED/run-one.sh" "$target" "$MSGS" "$SIZE" "$SESSIONS" 1 >/dev/null 2>"$RUN_DIR/shared.err"
  row=$(tail -1 "$tmp" 2>/dev/null) || row=""
  [ -n "$row" ] || { log "$target failed: $(tail -3 "$RUN_DIR/shared.err")"; return; }
  echo "$row" | awk -F, -v rep="$rep" "{print $fields}" >>"$CSV"
}

# start_elemta DIR [ENV...]: `elemta serve` on the bench ports with a fresh data directory; waits until healthy.
start_elemta() {
  local dir=$1; shift
  env "$@" ELEMTA_DATA_DIR="$dir" ELEMTA_SMTP_PORT=$PORT_SMTP ELEMTA_SUBMISSION_PORT=0 ELEMTA_HTTP_PORT=$PORT_HTTP \
    ELEMTA_PG_PORT=$PORT_ELEMTA_PG ELEMTA_LOG_LEVEL=warn ELEMTA_HOSTNAME=mx.bench.test \
    node "$ROOT/apps/cli/dist/main.js" serve >"$RUN_DIR/elemta.out" 2>&1 &
  ELEMTA_PID=$!
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT_HTTP/healthz" >/dev/null && break; sleep 0.1; done
}

# sample_pg DIR: samples the memory of the Elemta's PostgreSQL (its postmaster's process tree) in the background.
sample_pg() {
  "$SHARED/mem-sampler.sh" "$RUN_DIR/pg.mem" 600 "$(head -1 "$1/pg/postmaster.pid")" &
  SAMPLER_PID=$!
}

# load: the same smtp-source load for every target, into Elemta's SMTP port; with LOAD_FILE set, that message
# (`-F`, of about SIZE bytes) instead of smtp-source's own SIZE-byte one.
load() {
  local content=(-l "$SIZE")
  [ -n "${LOAD_FILE:-}" ] && content=(-F "$LOAD_FILE")
  timeout 300 smtp-source -s "$SESSIONS" -m "$MSGS" "${content[@]}" -d -f bench@example.test -t rcpt@example.test \
    -M client.example.test "127.0.0.1:$PORT_SMTP" >"$RUN_DIR/source.out" 2>&1
}

# stop_elemta: stops Elemta and the sampler; sets HWM (peak RSS of the node process, MB) and PSS (its PostgreSQL, MB).
stop_elemta() {
  HWM=$(awk '/VmHWM/{print int($2/1024)}' "/proc/$ELEMTA_PID/status")
  kill -TERM "$ELEMTA_PID"; wait "$ELEMTA_PID" 2>/dev/null
  kill "$SAMPLER_PID" 2>/dev/null; wait "$SAMPLER_PID" 2>/dev/null
  PSS=$(awk '{print int($2/1024)}' "$RUN_DIR/pg.mem" 2>/dev/null)
}
