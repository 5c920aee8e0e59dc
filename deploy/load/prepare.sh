#!/usr/bin/env bash
# Makes the ghz configs of this folder ready to run against a running suite (`logistics up`):
# creates what they need through the public RPCs with `buf curl` (a customer, orders confirmed and
# picked up), then writes each config with its placeholders filled in (API key, customer id,
# tracking numbers, month, hosts, absolute proto paths) into an output folder, and prints it.
#
#   deploy/load/prepare.sh           # then: ghz --config deploy/load/out/get-tracking.json
#   deploy/load/prepare.sh --check   # also sends each ready config's request once with buf curl
#
# Settings (environment): LOGISTICS_API_KEY (default: the development key of `logistics up`, read
# from $LOGISTICS_DATA_DIR/dev-api-key, .logistics by default), LOGISTICS_HOST (127.0.0.1), the
# ports LOGISTICS_{CUSTOMERS,ORDERS,COMPLAINTS,REPORTING}_PORT (50051-50054), LOAD_ORDERS (orders
# to create, 30: BatchGetTracking asks for 30 numbers), LOAD_BATCH (events per
# RecordTrackingEvents call, 100), LOAD_OUT (the output folder, deploy/load/out).
#
# --check sends, for every config, exactly its call, data and metadata with buf curl (ghz's
# template actions {{newUUID}} and {{.Timestamp}} rendered as ghz would), and fails unless each
# answers OK without a rejected item: ghz itself is not needed for it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

if ! command -v buf >/dev/null 2>&1; then
  export PATH="/var/tmp/logistics-ci/tools/node_modules/.bin:$PATH"
fi
command -v buf >/dev/null 2>&1 || { echo "buf is missing: npm install -g @bufbuild/buf" >&2; exit 1; }
command -v jq >/dev/null 2>&1 || { echo "jq is missing: apt-get install jq" >&2; exit 1; }

host=${LOGISTICS_HOST:-127.0.0.1}
customers=$host:${LOGISTICS_CUSTOMERS_PORT:-50051}
orders=$host:${LOGISTICS_ORDERS_PORT:-50052}
complaints=$host:${LOGISTICS_COMPLAINTS_PORT:-50053}
reporting=$host:${LOGISTICS_REPORTING_PORT:-50054}
order_count=${LOAD_ORDERS:-30}
batch=${LOAD_BATCH:-100}
out=${LOAD_OUT:-$here/out}
key=${LOGISTICS_API_KEY:-}
if [ -z "$key" ]; then
  key_file=${LOGISTICS_DATA_DIR:-.logistics}/dev-api-key
  [ -r "$key_file" ] || { echo "no LOGISTICS_API_KEY and no $key_file (run from where \`logistics up\` runs)" >&2; exit 1; }
  key=$(cat "$key_file")
fi

# One unary call: call <host:port> <package.Service/Method> <json>; prints the answer.
call() {
  buf curl --protocol grpc --http2-prior-knowledge --timeout 10s \
    -H "authorization: Bearer $key" -d "$3" "http://$1/$2"
}

uuid() { cat /proc/sys/kernel/random/uuid; }

echo "prepare: creating a customer and $order_count orders on $customers and $orders" >&2
customer=$(call "$customers" logistics.customers.v1.CustomerService/CreateCustomer "$(jq -n \
  --arg request_id "$(uuid)" '{
    customer: {kind: "CUSTOMER_KIND_ENTERPRISE", display_name: "ghz Load Customer",
               region_code: "310115"},
    request_id: $request_id}')" | jq -er .id)

order_data=$(jq '.data.order' "$here/create-order.json")
numbers=()
for _ in $(seq "$order_count"); do
  number=$(call "$orders" logistics.orders.v1.OrderService/CreateOrder "$(jq -n \
    --argjson order "$order_data" --arg customer "$customer" --arg request_id "$(uuid)" \
    '{order: ($order | .customer_id = $customer), request_id: $request_id}')" | jq -er .trackingNumber)
  call "$orders" logistics.orders.v1.OrderService/ConfirmOrder "{\"id\": \"$number\"}" >/dev/null
  numbers+=("$number")
done
numbers_json=$(printf '%s\n' "${numbers[@]}" | jq -R . | jq -sc .)

# Picked up a minute ago: the orders are in transit, so hub scans apply to them.
picked=$(call "$orders" logistics.orders.v1.TrackingService/RecordTrackingEvents "$(jq -n \
  --argjson numbers "$numbers_json" --arg at "$(date -u -d '1 minute ago' +%FT%TZ)" '{
    events: [$numbers | to_entries[] | {
      client_event_id: "prepare-pickup-\(.key)", tracking_number: .value,
      code: "TRACKING_EVENT_CODE_PICKED_UP", occur_time: $at,
      source: "TRACKING_EVENT_SOURCE_SCANNER", source_name: "ghz-prepare"}]}')")
jq -e --argjson n "$order_count" '.acceptedCount == $n' <<<"$picked" >/dev/null ||
  { echo "prepare: the pickups were not all accepted: $picked" >&2; exit 1; }

# RecordTrackingEvents: $batch hub scans over the orders, each with a fresh client event id and
# occurring at the time of the call (ghz renders {{newUUID}} and {{.Timestamp}} per request).
events_json=$(jq -nc --argjson numbers "$numbers_json" --argjson batch "$batch" '[
  range($batch) as $i | {
    client_event_id: "{{newUUID}}", tracking_number: $numbers[$i % ($numbers | length)],
    code: "TRACKING_EVENT_CODE_ARRIVED_AT_HUB", occur_time: "{{.Timestamp}}",
    location: {facility_code: "SHA-HUB-07", city: "Shanghai", region_code: "310000"},
    source: "TRACKING_EVENT_SOURCE_SCANNER", source_name: "ghz"}]')
month=$(TZ=Asia/Shanghai date +%Y-%m)

mkdir -p "$out"
for template in "$here"/*.json; do
  name=$(basename "$template")
  jq --arg key "$key" --arg customer "$customer" --arg number "${numbers[0]}" \
    --argjson numbers "$numbers_json" --argjson events "$events_json" --arg month "$month" \
    --arg repo "$repo" --arg customers "$customers" --arg orders "$orders" \
    --arg complaints "$complaints" --arg reporting "$reporting" '
    .proto = "\($repo)/\(.proto)"
    | .["import-paths"] |= map("\($repo)/\(.)")
    | .host = ({"50051": $customers, "50052": $orders, "50053": $complaints,
                "50054": $reporting}[.host | split(":")[1]])
    | .metadata.authorization |= sub("__API_KEY__"; $key)
    | .data |= walk(
        if . == "__TRACKING_NUMBERS__" then $numbers
        elif . == "__EVENTS__" then $events
        elif type == "string" then
          sub("__CUSTOMER_ID__"; $customer) | sub("__TRACKING_NUMBER__"; $number)
          | sub("__MONTH__"; $month)
        else . end)' "$template" >"$out/$name"
  if grep -q '__[A-Z_]*__' "$out/$name"; then
    echo "prepare: $out/$name keeps a placeholder" >&2
    exit 1
  fi
done
echo "prepare: customer $customer, orders ${numbers[0]} ... ${numbers[-1]}" >&2
echo "$out"

[ "$check" -eq 1 ] || exit 0

# The self-check: each ready config's exact request, once, with buf curl.
failed=0
for config in "$out"/*.json; do
  method=$(jq -r '.call | sub("\\.(?<m>[^.]+)$"; "/\(.m)")' "$config")
  target=$(jq -r .host "$config")
  auth=$(jq -r '.metadata.authorization' "$config")
  data=$(jq -c .data "$config")
  # ghz's template actions, rendered the way ghz renders them for one request.
  while [[ $data == *'{{newUUID}}'* ]]; do data=${data/'{{newUUID}}'/$(uuid)}; done
  data=${data//'{{.Timestamp}}'/$(date -u +%FT%TZ)}
  if answer=$(buf curl --protocol grpc --http2-prior-knowledge --timeout 10s \
    -H "authorization: $auth" -d "$data" "http://$target/$method" 2>&1) &&
    ! grep -q '_REJECTED"' <<<"$answer"; then
    printf 'ok    %-28s %s\n' "$(basename "$config")" "$method"
  else
    printf 'FAIL  %-28s %s\n%s\n' "$(basename "$config")" "$method" "$answer"
    failed=1
  fi
done
exit "$failed"
