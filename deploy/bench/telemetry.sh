#!/usr/bin/env bash
# What telemetry costs the hot path: the same closed-loop load against `logistics up` with logs
# off, at the default level, and exporting to an OTLP endpoint that is down (the trap where a
# blocking exporter drags a server down). Rounds are interleaved, so drift on a noisy machine
# hits every variant alike. Besides calls/s (noisy: the load generator shares the machine), it
# reports the server process's own CPU time per call, from /proc, which is far steadier.
# Results go to stdout; BENCHMARKS.md records them.
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

# utime + stime of a process, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

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
  if ! grep -q "suite is up" "$data/up.log"; then
    echo "$label: the suite did not come up:"; tail -n 20 "$data/up.log"; kill "$pid" 2>/dev/null || true
    return 1
  fi
  for call in health get-customer; do
    local before after result ok
    before=$(cpu_ticks "$pid")
    result=$("$bin" load --data-dir "$data" --call "$call" --concurrency 32 --seconds "$seconds" --warmup-seconds 0)
    result=${result%%$'\n'*} # the one-line summary; ghz's summary follows it
    after=$(cpu_ticks "$pid")
    ok=$(sed -E 's/.*: ([0-9]+) ok.*/\1/' <<<"$result")
    printf '%-20s %-12s %s | server CPU %.1f us/call\n' "$label" "$call" \
      "$(sed -E 's/.*ok, ([0-9]+ calls\/s).*p50 ([0-9.]+).*p99 ([0-9.]+).*/\1, p50 \2 ms, p99 \3 ms/' <<<"$result")" \
      "$(echo "($after - $before) * 1000000 / $(getconf CLK_TCK) / $ok" | bc -l)"
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
