# Sourced by the bench scripts: `start_suite` starts `logistics up` ($bin) in a fresh data dir
# with rate limiting off, waits until it serves, and stops it and deletes the dir when the script
# exits. Sets $data (the data dir) and $pid (the suite's process). Ports come from the
# environment (LOGISTICS_*_PORT), as for `logistics up`.
start_suite() {
  data=$(mktemp -d /var/tmp/logistics-bench.XXXXXX)
  chmod 755 "$data" # started as root, the embedded PostgreSQL runs as `postgres` and must reach it
  LOGISTICS_DATA_DIR="$data" LOGISTICS_RATE_LIMIT_PER_SECOND=0 "$bin" up >"$data/up.log" 2>&1 &
  pid=$!
  trap stop_suite EXIT
  for _ in $(seq 1 120); do
    grep -q "suite is up" "$data/up.log" 2>/dev/null && return
    sleep 0.5
  done
  echo "the suite did not come up:"
  tail -n 20 "$data/up.log"
  exit 1
}

stop_suite() {
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" || true
  rm -rf "$data"
}
