#!/usr/bin/env bash
# The orders hot path under closed-loop load: tracking reads, tracking-event ingestion, order
# creation and reads, each against the `health` baseline measured on the same server in the same
# round. Rounds are interleaved, so drift on a noisy machine hits every call alike. The load
# generator shares the machine with the server, so besides calls/s it reports the CPU time per
# call of the server process and of its embedded PostgreSQL, from /proc (`load --server-pid`).
# Each `load` run sets up its own customer and orders through the public RPCs first (not timed).
# Results go to stdout (one line per run, then medians); BENCHMARKS.md records them.
#
#   cargo build --release --bin logistics && deploy/bench/orders.sh [rounds] [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${BIN:-target/release/logistics}
rounds=${1:-3}
seconds=${2:-8}
calls=(health get-tracking batch-get-tracking record-tracking-events create-order get-order)
# Ports of the suite under test; change them when another instance holds the defaults.
customers_port=${LOGISTICS_CUSTOMERS_PORT:-50051}
orders_port=${LOGISTICS_ORDERS_PORT:-50052}
export LOGISTICS_CUSTOMERS_PORT=$customers_port LOGISTICS_ORDERS_PORT=$orders_port
export LOGISTICS_COMPLAINTS_PORT=${LOGISTICS_COMPLAINTS_PORT:-50053}
export LOGISTICS_REPORTING_PORT=${LOGISTICS_REPORTING_PORT:-50054}

. deploy/bench/suite.sh
start_suite

results=$data/results.tsv
for round in $(seq 1 "$rounds"); do
  for call in "${calls[@]}"; do
    # Health of the orders service: the same server stack as the orders calls, no database.
    out=$("$bin" load --data-dir "$data" --call "$call" --concurrency 32 --seconds "$seconds" \
      --warmup-seconds 2 --server-pid "$pid" --target "http://127.0.0.1:$orders_port" \
      --customers-target "http://127.0.0.1:$customers_port")
    calls_s=$(sed -nE 's/.*ok, ([0-9]+) calls\/s.*/\1/p' <<<"$out")
    p50=$(sed -nE 's/.* p50 ([0-9.]+).*/\1/p' <<<"$out")
    p99=$(sed -nE 's/.* p99 ([0-9.]+).*/\1/p' <<<"$out")
    server=$(sed -nE 's/.*cpu: server ([0-9.]+) us.*/\1/p' <<<"$out")
    pg=$(sed -nE 's/.*PostgreSQL ([0-9.]+) us.*/\1/p' <<<"$out")
    events=$(sed -nE 's/.*, ([0-9]+) events\/s.*/\1/p' <<<"$out")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$call" "$calls_s" "$p50" "$p99" \
      "$server" "$pg" "${events:--}" >>"$results"
    printf 'round %s %-22s %6s calls/s  p50 %6s ms  p99 %6s ms  server %7s us/call  PostgreSQL %7s us/call  events/s %s\n' \
      "$round" "$call" "$calls_s" "$p50" "$p99" "$server" "$pg" "${events:--}"
    # Failed calls (ghz's "Error distribution": count, then an example message per code).
    grep -E '^  \[[0-9]+\]|refused [1-9]' <<<"$out" || true
  done
done

# Medians over the rounds, and ratios to the health baseline's medians.
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
column_of() { awk -F'\t' -v c="$1" -v k="$2" '$2 == c { print $k }' "$results" | median; }
health_calls=$(column_of health 3)
health_cpu=$(awk -F'\t' '$2 == "health" { print $6 + $7 }' "$results" | median)
echo
echo "medians of $rounds rounds, $seconds s each"
printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' call calls/s "x health" "p50 ms" "p99 ms" \
  "server us/call" "PostgreSQL us/call" "CPU x health" events/s
for call in "${calls[@]}"; do
  c=$(column_of "$call" 3)
  cpu=$(awk -F'\t' -v c="$call" '$2 == c { print $6 + $7 }' "$results" | median)
  events=$( [ "$call" = record-tracking-events ] && column_of "$call" 8 || echo -)
  printf '| %s | %s | %.3f | %s | %s | %s | %s | %.1f | %s |\n' "$call" "$c" \
    "$(echo "$c / $health_calls" | bc -l)" "$(column_of "$call" 4)" "$(column_of "$call" 5)" \
    "$(column_of "$call" 6)" "$(column_of "$call" 7)" "$(echo "$cpu / $health_cpu" | bc -l)" "$events"
done
