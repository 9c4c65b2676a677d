#!/usr/bin/env bash
# bench/accept/run.sh — durable SMTP acceptance: Elemta beside Postfix, same machine, same load, same run.
#
#   npm run bench:accept                      # 3 interleaved repetitions of each target
#   REPS=5 MSGS=10000 SIZE=1024 SESSIONS=20 bash bench/accept/run.sh
#
# Load (identical for every target): smtp-source -s SESSIONS -m MSGS -l SIZE -d (connections reused).
# Targets: elemta (250 after body + MessageAccepted/MessageQueued committed; delivery workers off, so it only
# accepts), elemta-verify (the same, with SPF, DKIM and DMARC checked on every message against a loopback DNS server:
# a DKIM-signed message of the same size, a client outside the relay networks, DMARC enforced), postfix-hold (Postfix's durable acceptance: queue file fsync'd, put on hold) and postfix (accept + relay to
# smtp-sink), the last two run by ../shared/bench/run-one.sh. Prints a table of medians (min–max) and Elemta's peak
# memory; writes a CSV.
set -uo pipefail
BENCH_NAME=accept
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"
TARGETS=${TARGETS:-"elemta elemta-verify postfix-hold postfix"}

echo "target,rep,status,accept_s,accept_mps,visible_s,peak_rss_mb,pg_peak_pss_mb,cpu_busy_pct" >"$CSV"

# verification_config DIR: a loopback DNS server and a config that makes Elemta check SPF, DKIM and DMARC on every
# message: the load comes from 127.0.0.1, so the relay networks exclude it (as for any client on the Internet) and
# example.test is a local domain. Sets DNS_PID and LOAD_FILE.
verification_config() {
  local dir=$1
  node "$ROOT/bench/accept/auth-dns.mjs" "$RUN_DIR" "$SIZE" >"$RUN_DIR/dns.out" 2>&1 &
  DNS_PID=$!
  for _ in $(seq 1 100); do [ -s "$RUN_DIR/dns.port" ] && break; sleep 0.1; done
  cat >"$dir.yaml" <<YAML
smtp: { relay: { localDomains: [example.test], networks: [192.0.2.1/32] } }
delivery: { dns: { servers: ["127.0.0.1:$(cat "$RUN_DIR/dns.port")"], timeout: 2 } }
policy: { plugins: [{ name: email-auth, config: { dmarc: enforce } }, { name: default-headers }] }
YAML
  LOAD_FILE=$RUN_DIR/message.txt
}

run_elemta() {
  local rep=$1 target=${2:-elemta} dir=$RUN_DIR/elemta-data key t0 t1 rc c0 c1 visible_s n
  rm -rf "$dir" "$RUN_DIR/dns.port"; mkdir -p "$dir"
  LOAD_FILE="" DNS_PID=""
  if [ "$target" = elemta-verify ]; then
    verification_config "$dir"
    start_elemta "$dir" ELEMTA_DELIVERY_WORKERS=false ELEMTA_CONFIG="$dir.yaml"
  else
    start_elemta "$dir" ELEMTA_DELIVERY_WORKERS=false
  fi
  key=$(cat "$dir/admin.key")
  sample_pg "$dir"
  sync; sleep 0.5
  c0=$(cpu); t0=$(date +%s%N)
  load; rc=$?
  t1=$(date +%s%N); c1=$(cpu)
  # every acknowledged message must be in the tracking views: wait for the projection to catch up
  n=0
  for _ in $(seq 1 1200); do
    n=$(curl -sf -H "authorization: Bearer $key" -H 'content-type: application/json' \
      -d '{"query":"{ messages(first: 1) { totalCount } }"}' "http://127.0.0.1:$PORT_HTTP/graphql" | grep -o '"totalCount":[0-9]*' | cut -d: -f2)
    [ "${n:-0}" -ge "$MSGS" ] && break; sleep 0.05
  done
  visible_s=$(secs "$t0" "$(date +%s%N)")
  if [ "$target" = elemta-verify ]; then
    # every message got the email-auth verdict, and the last 20 passed SPF, DKIM and DMARC (a message that failed
    # DMARC would have been refused: p=reject is enforced)
    VERIFIED=$(curl -s "http://127.0.0.1:$PORT_HTTP/metrics" | awk '/^elemta_policy_verdicts_total\{plugin="email-auth",stage="data",verdict="tag"\}/{print $2}')
    PASSED=$(curl -sf -H "authorization: Bearer $key" -H 'content-type: application/json' \
      -d '{"query":"{ messages(first: 20) { edges { node { authentication { spf { result } dkim { result } dmarc { result } } } } } }"}' \
      "http://127.0.0.1:$PORT_HTTP/graphql" | grep -o '"result":"pass"' | wc -l)
    [ "${VERIFIED:-0}" = "$MSGS" ] && [ "$PASSED" = 60 ] || rc="verified=${VERIFIED:-0},passed=$PASSED/60"
  fi
  stop_elemta
  [ -n "$DNS_PID" ] && { kill -TERM "$DNS_PID" 2>/dev/null; wait "$DNS_PID" 2>/dev/null; }
  local status=OK; [ "$rc" = 0 ] && [ "${n:-0}" = "$MSGS" ] || status="FAIL(rc=$rc,visible=$n)"
  local a; a=$(secs "$t0" "$t1")
  echo "$target,$rep,$status,$a,$(rate "$a"),$visible_s,$HWM,$PSS,$(busy_pct "$c0" "$c1")" >>"$CSV"
  [ "$status" = OK ] || { log "$target: $status"; tail -5 "$RUN_DIR/source.out" "$RUN_DIR/elemta.out" >&2; }
}

for rep in $(seq 1 "$REPS"); do
  for t in $TARGETS; do
    log "rep $rep/$REPS: $t ($MSGS x $SIZE B, $SESSIONS sessions)"
    case $t in
      elemta|elemta-verify) run_elemta "$rep" "$t" ;;
      *) run_shared "$t" "$rep" '$2","rep","$8","$9","$10",,"$16","$17","$18' ;;
    esac
  done
done

node "$ROOT/bench/accept/summarize.mjs" "$CSV" "$MSGS" "$SIZE" "$SESSIONS"
echo "raw: $CSV"
