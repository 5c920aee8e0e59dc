#!/usr/bin/env bash
# How the write paths and a read by id change as the data grows about tenfold, on one suite:
# CreateOrder, RecordTrackingEvents (batches of 500) and GetOrder measured on fresh tables, then
# again after `grow` seconds of creates and of ingestion have filled them (VACUUM ANALYZE in
# between, as autovacuum would have by then). One line of JSON per measurement.
#
#   cargo build --release --bin logistics && deploy/bench/growth.sh [seconds] [grow]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${BIN:-${CARGO_TARGET_DIR:-target}/release/logistics}
seconds=${1:-8}
grow=${2:-90}
# Ports off the defaults, so a suite a developer runs is left alone.
base=${BENCH_PORT_BASE:-64050}
export LOGISTICS_CUSTOMERS_PORT=$((base + 1)) LOGISTICS_ORDERS_PORT=$((base + 2))
export LOGISTICS_COMPLAINTS_PORT=$((base + 3)) LOGISTICS_REPORTING_PORT=$((base + 4))

. deploy/bench/suite.sh
start_suite
port=$(sed -nE 's/.*embedded PostgreSQL on 127\.0\.0\.1:([0-9]+),.*/\1/p' "$data/up.log" | head -1)
sql() {
  PGPASSWORD=$(cat "$data/postgres/password") psql -X -q -At -h 127.0.0.1 -p "$port" -U postgres \
    -d logistics -c "$1"
}
load() {
  "$bin" load --data-dir "$data" --concurrency 32 --connections 2 --warmup-seconds 2 \
    --target "http://127.0.0.1:$LOGISTICS_ORDERS_PORT" --no-progress --format json \
    --customers-target "http://127.0.0.1:$LOGISTICS_CUSTOMERS_PORT" "$@"
}
measure() {
  echo "{\"orders\": $(sql 'SELECT count(*) FROM orders.orders'), \"events\": $(sql 'SELECT count(*) FROM orders.tracking_events')}"
  for call in create-order record-tracking-events get-order; do
    load --call "$call" --batch 500 --seconds "$seconds" --server-pid "$pid" |
      jq -c '{call, calls_s: (.rps | floor), events_s: (.eventsPerSecond // null | if . then floor else . end),
              server_us: (.cpu.serverUsPerCall | floor), postgres_us: (.cpu.postgresUsPerCall | floor)}'
  done
}

measure
load --call create-order --seconds "$grow" >/dev/null
load --call record-tracking-events --batch 500 --seconds "$grow" >/dev/null
sql "VACUUM ANALYZE"
measure
