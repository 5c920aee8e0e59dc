#!/usr/bin/env bash
# The suite's hot paths, each next to a baseline measured in the same run on the same machine:
# GetTracking and BatchGetTracking against `pgbench -S`, CreateOrder against `pgbench -N`,
# RecordTrackingEvents against COPY of the same rows, GetMonthlyStatement against the same report
# from raw rows, reporting's lag at 20,000 events/s, GetTracking with telemetry on and off, and the
# resident memory. Rounds interleave every figure, so drift on a noisy machine hits them alike;
# the table holds the medians. It writes the table into BENCHMARKS.md (between its markers).
#
#   deploy/bench/run.sh [--rounds N] [--seconds S] [--no-reporting] [--no-write]
#
# Needs: a release build (made if missing), PostgreSQL's binaries with pgbench (PG_BINDIR, else
# found), jq, python3. h2load (Debian's nghttp2-client), when present, adds GetTracking and
# BatchGetTracking measured by an HTTP/2 client that costs the shared CPUs less than `logistics
# load` does (it sends fixed request bytes and does not decode the answers).
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds=3
seconds=8
with_reporting=1
write=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --no-reporting) with_reporting=0; shift ;;
    --no-write) write=0; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

# Where cargo put the release build (CARGO_TARGET_DIR moves it).
bin=${BIN:-${CARGO_TARGET_DIR:-target}/release/logistics}
[ -x "$bin" ] || cargo build --release --bin logistics
command -v jq >/dev/null || { echo "jq is needed" >&2; exit 1; }
pgbin=${PG_BINDIR:-}
for dir in "$pgbin" "$(pg_config --bindir 2>/dev/null || true)" /usr/lib/postgresql/*/bin; do
  if [ -n "$dir" ] && [ -x "$dir/pgbench" ]; then pgbin=$dir; break; fi
done
[ -x "$pgbin/pgbench" ] || { echo "pgbench not found; set PG_BINDIR" >&2; exit 1; }
h2load=$(command -v h2load || true)

# Ports off the defaults, so a suite a developer runs is left alone.
base=${BENCH_PORT_BASE:-61050}
export LOGISTICS_CUSTOMERS_PORT=$((base + 1)) LOGISTICS_ORDERS_PORT=$((base + 2))
export LOGISTICS_COMPLAINTS_PORT=$((base + 3)) LOGISTICS_REPORTING_PORT=$((base + 4))
orders=http://127.0.0.1:$LOGISTICS_ORDERS_PORT
customers=http://127.0.0.1:$LOGISTICS_CUSTOMERS_PORT
reporting=http://127.0.0.1:$LOGISTICS_REPORTING_PORT
sink=127.0.0.1:$((base + 7))

work=$(mktemp -d /var/tmp/logistics-bench.XXXXXX)
chmod 755 "$work" # the embedded PostgreSQL runs as `postgres` and reads the COPY file here
export LOGISTICS_DATA_DIR=$work/data LOGISTICS_RATE_LIMIT_PER_SECOND=0
suite_pid=
telemetry_pids=()
sink_pid=
cleanup() {
  for pid in $suite_pid "${telemetry_pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  wait $suite_pid "${telemetry_pids[@]}" 2>/dev/null || true
  [ -n "$sink_pid" ] && { kill -INT "$sink_pid" 2>/dev/null || true; wait "$sink_pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" bench otlp-sink --listen "$sink" >"$work/sink.log" 2>&1 &
sink_pid=$!

# Starts `logistics up` with telemetry "on" (info logs, every trace and the metrics exported to
# the sink), "sampled" (the same, one root trace in ten kept) or "off" (no logs, no export), its
# data in $2 (its log beside it) and its four services on the ports after $3; `launched` is its pid.
launch() {
  local telemetry
  case "$1" in
    on) telemetry=(LOGISTICS_LOG=info "OTEL_EXPORTER_OTLP_ENDPOINT=http://$sink") ;;
    sampled) telemetry=(LOGISTICS_LOG=info "OTEL_EXPORTER_OTLP_ENDPOINT=http://$sink"
      OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1) ;;
    *) telemetry=(LOGISTICS_LOG=off) ;;
  esac
  env "${telemetry[@]}" LOGISTICS_DATA_DIR="$2" \
    LOGISTICS_CUSTOMERS_PORT=$(($3 + 1)) LOGISTICS_ORDERS_PORT=$(($3 + 2)) \
    LOGISTICS_COMPLAINTS_PORT=$(($3 + 3)) LOGISTICS_REPORTING_PORT=$(($3 + 4)) \
    "$bin" up >"$2.log" 2>&1 &
  launched=$!
}
# Waits until the suite launched as $1 with its data in $2 answers on the orders port $3.
wait_up() {
  for _ in $(seq 1 240); do
    if [ -s "$2/dev-api-key" ] && LOGISTICS_DATA_DIR=$2 "$bin" load --call health \
      --target "http://127.0.0.1:$3" --seconds 1 --warmup-seconds 0 --concurrency 1 --no-progress \
      --format json >/dev/null 2>&1; then
      return
    fi
    kill -0 "$1" 2>/dev/null || break
    sleep 0.5
  done
  echo "the suite did not come up:" >&2; tail -n 20 "$2.log" >&2; exit 1
}
# The suite most figures are measured on, in $work/data on the ports after $base.
start_suite() {
  launch "$1" "$work/data" "$base"
  suite_pid=$launched
  wait_up "$suite_pid" "$work/data" "$LOGISTICS_ORDERS_PORT"
  # The embedded PostgreSQL takes a free port at each start.
  PGPORT=$(sed -nE 's/.*embedded PostgreSQL on 127\.0\.0\.1:([0-9]+),.*/\1/p' "$work/data.log" | head -1)
}
stop_suite() {
  kill -INT "$suite_pid"; wait "$suite_pid" || true; suite_pid=
}
# The three telemetry modes, a suite each with its own data, side by side on the ports after
# $base + 10, + 20 and + 30.
modes=(off sampled on)
mode_ports() { case "$1" in off) echo $((base + 10)) ;; sampled) echo $((base + 20)) ;; on) echo $((base + 30)) ;; esac; }
start_telemetry_suites() {
  for mode in "${modes[@]}"; do
    launch "$mode" "$work/$mode" "$(mode_ports "$mode")"
    telemetry_pids+=("$launched")
  done
  for i in 0 1 2; do
    wait_up "${telemetry_pids[$i]}" "$work/${modes[$i]}" $(($(mode_ports "${modes[$i]}") + 2))
  done
}
stop_telemetry_suites() {
  for pid in "${telemetry_pids[@]}"; do kill -INT "$pid"; done
  for pid in "${telemetry_pids[@]}"; do wait "$pid" || true; done
  telemetry_pids=()
}
resident_mib() { awk -v k="$2" '$1 == k":" { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

start_suite on
idle_rss=$(resident_mib "$suite_pid" VmRSS)
export PGHOST=127.0.0.1 PGPORT PGUSER=postgres PGPASSWORD
PGPASSWORD=$(cat "$work/data/postgres/password")
psql() { "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
psql -d postgres -c "CREATE DATABASE pgbench" -c "CREATE DATABASE bench_reporting"
"$pgbin/pgbench" -i -q -s 10 pgbench >/dev/null 2>&1

results=$work/results.tsv
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$results"; } # figure, round, value
# One thread for the load generator, as h2load's `-t 1`: with one per CPU it spent a quarter more
# CPU per call waking its threads, on the CPUs the suite runs on.
# `window` shortens a run; `customers_target` points at another suite's customers.
load() { "$bin" load --target "$1" --customers-target "${customers_target:-$customers}" \
  --concurrency 32 --connections 2 --threads 1 \
  --seconds "${window:-$seconds}" --warmup-seconds 2 --no-progress --format json \
  "${@:2}"; }
pgbench_tps() { "$pgbin/pgbench" "$@" -M prepared -c 32 -j 2 -T "$seconds" pgbench 2>/dev/null |
  sed -nE 's/^tps = ([0-9.]+).*/\1/p'; }

# The COPY baseline: tracking events as the service stored them, copied into a table of the same
# shape and indexes, on one connection. Rows come from a first ingestion run (not measured).
"$bin" load --target "$orders" --customers-target "$customers" --call record-tracking-events \
  --batch 500 --seconds 4 --warmup-seconds 0 --no-progress --format json >/dev/null
psql -d logistics -c "\\copy (SELECT * FROM orders.tracking_events LIMIT 200000) TO '$work/events.copy'"
chmod 644 "$work/events.copy"
copy_rows=$(wc -l <"$work/events.copy")
psql -d logistics -c "CREATE SCHEMA bench_copy" \
  -c "CREATE TABLE bench_copy.events (LIKE orders.tracking_events INCLUDING ALL)"
# Rows per second of one COPY of the file into the emptied table.
copy_rate() {
  psql -d logistics -c "TRUNCATE bench_copy.events"
  local started
  started=$(date +%s.%N)
  psql -d logistics -c "COPY bench_copy.events FROM '$work/events.copy'"
  awk -v n="$copy_rows" -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { print n / (b - a) }'
}

# Waits until reporting has applied what the orders feed holds: its count of orders events stands
# still for two seconds while nothing writes.
wait_for_reporting() {
  local last="" now
  for _ in $(seq 1 300); do
    now=$(psql -d logistics -At -c "SELECT applied_events + skipped_events + duplicate_events
      FROM reporting.feed_cursors WHERE feed = 'orders'")
    if [ -n "$now" ] && [ "$now" = "$last" ]; then return; fi
    last=$now
    sleep 2
  done
}

# Calls per second of an orders TrackingService method through h2load, sending the request
# message `$2` (encoded protobuf, as a hex string) on every call.
h2load_rps() {
  local key body=$work/$1.bin
  key=$(cat "$work/data/dev-api-key")
  python3 -c "import struct,sys; m=bytes.fromhex(sys.argv[1])
sys.stdout.buffer.write(b'\x00'+struct.pack('>I',len(m))+m)" "$2" >"$body"
  "$h2load" -D "$seconds" --warm-up-time=2 -c 2 -m 16 -t 1 -d "$body" \
    -H 'content-type: application/grpc' -H 'te: trailers' -H "authorization: Bearer $key" \
    "$orders/logistics.orders.v1.TrackingService/$1" 2>/dev/null |
    sed -nE 's/^requests: ([0-9]+) total.* ([0-9]+) succeeded.*/\2/p' |
    awk -v s="$seconds" '{ printf "%.0f", $1 / s }'
}
# `tracking_numbers` (field 1) of $1 seeded shipments with ten events, as protobuf encodes them
# (tag 0x0a, one byte of length, the digits).
seeded_numbers() {
  psql -d logistics -At -c "SELECT string_agg('0a' || lpad(to_hex(length(tracking_number)), 2, '0')
      || encode(tracking_number::bytea, 'hex'), '')
    FROM (SELECT tracking_number FROM orders.orders WHERE tracking_sequence = 10
          ORDER BY tracking_number LIMIT $1) AS seeded"
}

for round in $(seq 1 "$rounds"); do
  echo "round $round of $rounds" >&2
  record pgbench_select "$round" "$(pgbench_tps -S)"
  out=$(load "$orders" --call health)
  record health "$round" "$(jq .rps <<<"$out")"
  out=$(load "$orders" --call get-tracking)
  record get_tracking "$round" "$(jq .rps <<<"$out")"
  record get_tracking_p99 "$round" "$(jq '.latencyDistribution[] | select(.percentage == 99) | .latency / 1e6' <<<"$out")"
  if [ -n "$h2load" ]; then record get_tracking_h2load "$round" "$(h2load_rps GetTracking "$(seeded_numbers 1)")"; fi
  out=$(load "$orders" --call batch-get-tracking)
  record batch_get_tracking "$round" "$(jq .rps <<<"$out")"
  if [ -n "$h2load" ]; then
    record batch_get_tracking_h2load "$round" "$(h2load_rps BatchGetTracking "$(seeded_numbers 30)")"
  fi
  record pgbench_insert "$round" "$(pgbench_tps -N)"
  out=$(load "$orders" --call create-order)
  record create_order "$round" "$(jq .rps <<<"$out")"
  # COPY twice before the ingestion run and twice after, the round's figure their median: one
  # COPY, a second or so, moved by a fifth between rounds, where the run it is set against
  # averages 8 s.
  copies=$(copy_rate; copy_rate)
  out=$(load "$orders" --call record-tracking-events --batch 500)
  record ingest_events "$round" "$(jq .eventsPerSecond <<<"$out")"
  copies="$copies $(copy_rate; copy_rate)"
  record copy_rows "$round" "$(tr ' ' '\n' <<<"$copies" | sort -g | awk '{ v[NR] = $1 } END { print (v[2] + v[3]) / 2 }')"
  # 40 batches of 500 a second: 20,000 events/s, while watching reporting's lag; once reporting
  # has worked off the backlog the closed-loop runs above left (a catch-up is not a steady lag).
  wait_for_reporting
  out=$(load "$orders" --call record-tracking-events --batch 500 --rps 40 --projection-lag "$reporting")
  record lag_events "$round" "$(jq '.eventsAccepted / .seconds' <<<"$out")"
  record lag_p99_ms "$round" "$(jq .projectionLag.p99Ms <<<"$out")"
  record loaded_rss "$round" "$(resident_mib "$suite_pid" VmHWM)"
  stop_suite
  # GetTracking under each telemetry mode, its suite started beside the others' and warmed (its
  # cache filled, its connections made), in three turns, the order turned by one each turn (so
  # each mode runs first, second and third once a round). The
  # machine's speed drifts within a minute by more than telemetry costs, and one process of a
  # build runs steadily faster or slower than another by as much (one "on" suite at 86 % of
  # "off" for a minute, another beside it at 96 %): each turn starts suites of its own, and the
  # ratio is the median of the nine pairs of three rounds (six left 86 % and 91 % apart).
  for turn in 0 1 2; do
    start_telemetry_suites
    for pass in warm measure; do
      for i in 0 1 2; do
        mode=${modes[$(((i + turn + round) % 3))]}
        ports=$(mode_ports "$mode")
        out=$(LOGISTICS_DATA_DIR=$work/$mode customers_target=http://127.0.0.1:$((ports + 1)) \
          window=$([ "$pass" = warm ] && echo 2 || echo "$seconds") \
          load "http://127.0.0.1:$((ports + 2))" --call get-tracking)
        [ "$pass" = warm ] || record "get_tracking_$mode" "$round.$turn" "$(jq .rps <<<"$out")"
      done
    done
    stop_telemetry_suites
  done
  start_suite on # what the next round, and the reporting bench after the last, run on
done

if [ "$with_reporting" = 1 ]; then
  echo "GetMonthlyStatement on a million orders (about 2 minutes)" >&2
  LOGISTICS_LOG=error LOGISTICS_DATABASE_URL="postgres://postgres:$PGPASSWORD@127.0.0.1:$PGPORT/bench_reporting" \
    "$bin" bench reporting >"$work/reporting.txt"
  statement=$(grep '^| GetMonthlyStatement' "$work/reporting.txt")
fi

median() { awk -F'\t' -v f="$1" '$1 == f { print $3 }' "$results" | sort -g |
  awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# The ratio of two figures measured in every round: the median of the rounds' own ratios, since
# the machine's speed drifts between rounds more than between a figure and its baseline.
paired() {
  join -t $'\t' <(awk -F'\t' -v f="$1" '$1 == f { print $2 "\t" $3 }' "$results" | sort) \
    <(awk -F'\t' -v f="$2" '$1 == f { print $2 "\t" $3 }' "$results" | sort) |
    awk -F'\t' '{ print $2 / $3 }' | sort -g |
    awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
percent() { awk -v r="$1" 'BEGIN { printf "%.0f %%", 100 * r }'; }
int() { printf "%.0f" "$1"; }
verdict() { if awk "BEGIN { exit !($1) }"; then echo met; else echo "**missed**"; fi; }

sel=$(median pgbench_select) ins=$(median pgbench_insert) copy=$(median copy_rows)
gt=$(median get_tracking) gt99=$(median get_tracking_p99) batch=$(median batch_get_tracking)
create=$(median create_order) ingest=$(median ingest_events) health=$(median health)
lag=$(median lag_p99_ms) lag_events=$(median lag_events)
quiet=$(median get_tracking_off) noisy=$(median get_tracking_on)
sampled=$(median get_tracking_sampled)
rss=$(median loaded_rss)

table=$work/table.md
{
  echo "| figure | suite | baseline, same run | ratio | target | |"
  echo "| --- | --- | --- | --- | --- | --- |"
  echo "| gRPC health (the server stack, no database) | $(int "$health") calls/s | \`pgbench -S\` $(int "$sel") TPS | $(percent "$(paired health pgbench_select)") | | |"
  echo "| GetTracking, 10 events (\`logistics load\`) | $(int "$gt") calls/s, p99 $(printf %.2f "$gt99") ms | \`pgbench -S\` $(int "$sel") TPS | $(percent "$(paired get_tracking pgbench_select)") | >= 50 %, p99 < 10 ms | $(verdict "$(paired get_tracking pgbench_select) >= 0.5 && $gt99 < 10") |"
  if [ -n "$h2load" ]; then
    gth=$(median get_tracking_h2load)
    echo "| GetTracking, 10 events (h2load) | $(int "$gth") calls/s | \`pgbench -S\` $(int "$sel") TPS | $(percent "$(paired get_tracking_h2load pgbench_select)") | >= 50 % | $(verdict "$(paired get_tracking_h2load pgbench_select) >= 0.5") |"
  fi
  echo "| BatchGetTracking, 30 numbers (\`logistics load\`) | $(int "$batch") calls/s | \`pgbench -S\` $(int "$sel") TPS | $(percent "$(paired batch_get_tracking pgbench_select)") | >= 20 % | $(verdict "$(paired batch_get_tracking pgbench_select) >= 0.2") |"
  if [ -n "$h2load" ]; then
    bh=$(median batch_get_tracking_h2load)
    echo "| BatchGetTracking, 30 numbers (h2load) | $(int "$bh") calls/s | \`pgbench -S\` $(int "$sel") TPS | $(percent "$(paired batch_get_tracking_h2load pgbench_select)") | >= 20 % | $(verdict "$(paired batch_get_tracking_h2load pgbench_select) >= 0.2") |"
  fi
  echo "| CreateOrder | $(int "$create") calls/s | \`pgbench -N\` $(int "$ins") TPS | $(percent "$(paired create_order pgbench_insert)") | >= 60 % | $(verdict "$(paired create_order pgbench_insert) >= 0.6") |"
  echo "| RecordTrackingEvents, batches of 500 | $(int "$ingest") events/s | COPY of $(int "$copy_rows") such rows, one connection (four a round, their median): $(int "$copy") rows/s | $(percent "$(paired ingest_events copy_rows)") | >= 50 % | $(verdict "$(paired ingest_events copy_rows) >= 0.5") |"
  echo "| reporting's lag behind the orders feed, p99 | $(int "$lag") ms at $(int "$lag_events") events/s | | | < 2,000 ms at 20,000 events/s | $(verdict "$lag < 2000 && $lag_events >= 19000") |"
  echo "| GetTracking with telemetry (info logs, OTLP export to a collector) | $(int "$noisy") calls/s | telemetry off: $(int "$quiet") calls/s | $(percent "$(paired get_tracking_on get_tracking_off)") | >= 90 % | $(verdict "$(paired get_tracking_on get_tracking_off) >= 0.9") |"
  echo "| GetTracking with telemetry, one trace in ten kept (\`OTEL_TRACES_SAMPLER=parentbased_traceidratio\`, 0.1) | $(int "$sampled") calls/s | telemetry off: $(int "$quiet") calls/s | $(percent "$(paired get_tracking_sampled get_tracking_off)") | >= 90 % | $(verdict "$(paired get_tracking_sampled get_tracking_off) >= 0.9") |"
  echo "| resident memory of \`logistics up\` (all four services, one process) | idle $idle_rss MiB, peak under these loads $rss MiB | | | per service < 64 MiB idle, < 256 MiB loaded | $(verdict "$idle_rss < 64 && $rss < 256") |"
  if [ -n "${statement:-}" ]; then
    p50=$(awk -F'|' '{ split($3, a, "/"); gsub(/ /, "", a[1]); print a[1] }' <<<"$statement")
    p99=$(awk -F'|' '{ split($3, a, "/"); gsub(/ /, "", a[2]); print a[2] }' <<<"$statement")
    raw=$(awk -F'|' '{ split($4, a, "/"); gsub(/ /, "", a[1]); print a[1] }' <<<"$statement")
    echo "| GetMonthlyStatement, 1,000,000 orders, biggest customer | p50 $p50 ms, p99 $p99 ms | the same report from raw rows: p50 $raw ms | $(awk -v a="$raw" -v b="$p50" 'BEGIN { printf "%.0fx", a / b }') | p99 < 20 ms, >= 20x | $(verdict "$p99 < 20 && $raw >= 20 * $p50") |"
  fi
} >"$table"

machine="$(nproc) vCPUs ($(lscpu | sed -nE 's/^Model name: +//p' | head -1)), $(free -g | awk '/^Mem:/ { print $2 }') GiB, $(. /etc/os-release && echo "$PRETTY_NAME"), PostgreSQL $("$pgbin/postgres" --version | awk '{ print $3 }')"
section=$work/section.md
{
  echo "<!-- deploy/bench/run.sh: begin -->"
  echo "Measured $(date -u +%Y-%m-%d) by \`deploy/bench/run.sh --rounds $rounds --seconds $seconds\` on $machine;"
  echo "medians of $rounds interleaved rounds of $seconds s per figure (after 2 s of warm-up; a ratio is the median of the"
  echo "rounds' own ratios, each figure against its baseline of the same round), 32 calls in flight over 2"
  echo "connections (pgbench: 32 clients, 2 threads, prepared statements, scale 10; \`logistics load\` and h2load: one"
  echo "thread), the load generators on the same CPUs as the suite and its embedded PostgreSQL. The suite logs at info and exports every trace to a"
  echo "collector (\`logistics bench otlp-sink\`) unless a row says otherwise. The telemetry rows run each mode in"
  echo "a suite of its own, the three started side by side and warmed, in three turns a round (new suites each turn),"
  echo "in an order turned each turn; their ratio is the median of the turns' own."
  echo
  cat "$table"
  echo "<!-- deploy/bench/run.sh: end -->"
} >"$section"
cat "$section"
if [ "$write" = 1 ]; then
  if grep -q '<!-- deploy/bench/run.sh: begin -->' BENCHMARKS.md; then
    awk -v file="$section" '
      /<!-- deploy\/bench\/run.sh: begin -->/ { while ((getline line < file) > 0) print line; skip = 1; next }
      /<!-- deploy\/bench\/run.sh: end -->/ { skip = 0; next }
      !skip { print }' BENCHMARKS.md >"$work/BENCHMARKS.md"
    cp "$work/BENCHMARKS.md" BENCHMARKS.md
  else
    { echo; echo "## Every figure of issue 12 in one run"; echo; cat "$section"; } >>BENCHMARKS.md
  fi
  echo "BENCHMARKS.md updated" >&2
fi
