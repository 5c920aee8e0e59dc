#!/usr/bin/env bash
# What telemetry costs the hot path: the same closed-loop load against `logistics up` with logs
# off, at the default level, and exporting to an OTLP endpoint that is down (the trap where a
# blocking exporter drags a server down). Rounds are interleaved, so drift on a noisy machine
# hits every variant alike. Results go to stdout; BENCHMARKS.md records them.
#
#   cargo build --release --bin logistics && deploy/bench/telemetry.sh [rounds] [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${BIN:-target/release/logistics}
rounds=${1:-2}
seconds=${2:-10}

variants=(
  "logs-off|LOGISTICS_LOG=off"
  "default-info|LOGISTICS_LOG=info"
  "otlp-endpoint-down|OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:9"
)

measure() {
  local label=$1 setting=$2 data
  data=$(mktemp -d /var/tmp/logistics-bench.XXXXXX)
  chmod 755 "$data" # started as root, the embedded PostgreSQL runs as `postgres` and must reach it
  env "$setting" LOGISTICS_DATA_DIR="$data" LOGISTICS_RATE_LIMIT_PER_SECOND=0 \
    "$bin" up >"$data/up.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 120); do
    grep -q "suite is up" "$data/up.log" 2>/dev/null && break
    sleep 0.5
  done
  for call in health get-customer; do
    printf '%-20s %s\n' "$label" \
      "$("$bin" load --data-dir "$data" --call "$call" --concurrency 32 --seconds "$seconds")"
  done
  kill -INT "$pid"
  wait "$pid" || true
  rm -rf "$data"
}

for round in $(seq 1 "$rounds"); do
  echo "# round $round"
  for variant in "${variants[@]}"; do
    measure "${variant%%|*}" "${variant#*|}"
  done
done
