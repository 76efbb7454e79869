# GET /metrics as Prometheus sees it: cairn serves the demo service, a bounded number of
# requests go through its router, promtool checks the scrape (lint included), a real Prometheus
# (Debian's, on loopback) scrapes cairn every second and answers queries with the numbers
# cairn measured, and every metric the Grafana dashboard in contrib/ uses exists in the scrape.
source "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || fail "promtool is not installed (scripts/install-deps installs it)"
DASHBOARD="$SOURCE_DIR/contrib/grafana/cairn-dashboard.json"

REQUESTS=50
start_server
hello_spec "$E2E_DIR/hello.yaml" v1 2
run_cli 0 apply -f "$E2E_DIR/hello.yaml" -m "v1" --author alice --wait
for i in $(seq 1 "$REQUESTS"); do
  curl -fsS --max-time 2 -o /dev/null "127.0.0.1:$LISTEN_PORT/" || fail "request $i through the router failed"
done
pass "$REQUESTS requests went through the router"

# The scrape itself: the text format's media type, and promtool's check with no complaint.
curl -fsS --max-time 5 -D "$E2E_DIR/headers" -o "$E2E_DIR/scrape.txt" "http://$CAIRN_ADDR/metrics" \
  || fail "GET /metrics failed"
grep -qi '^content-type: text/plain; version=0.0.4' "$E2E_DIR/headers" \
  || { cat "$E2E_DIR/headers"; fail "/metrics is not served as the Prometheus text format"; }
set +e
promtool check metrics <"$E2E_DIR/scrape.txt" >"$E2E_DIR/promtool.out" 2>&1
code=$?
set -e
[ "$code" = 0 ] && [ ! -s "$E2E_DIR/promtool.out" ] \
  || { cat "$E2E_DIR/promtool.out"; fail "promtool check metrics exited $code or complained"; }
sent="$(python3 - "$E2E_DIR/scrape.txt" <<'PY'
import re, sys
total = 0
for line in open(sys.argv[1]):
    if line.startswith('cairn_router_requests_total{') and 'service="hello"' in line \
            and 'code_class="2xx"' in line:
        total += int(float(line.rsplit(' ', 1)[1]))
print(total)
PY
)"
[ "$sent" = "$REQUESTS" ] || fail "the scrape counts $sent 2xx answers for hello, expected $REQUESTS"
pass "promtool accepts the scrape, which counts the $REQUESTS answers"

# The dashboard: well-formed JSON, and every metric its queries name is one cairn exposes.
python3 -m json.tool "$DASHBOARD" >/dev/null || fail "$DASHBOARD is not valid JSON"
missing="$(python3 - "$DASHBOARD" "$E2E_DIR/scrape.txt" <<'PY'
import json, re, sys
dash = json.load(open(sys.argv[1]))
exprs = []
def walk(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ('expr', 'query') and isinstance(value, str):
                exprs.append(value)
            walk(value)
    elif isinstance(node, list):
        for value in node:
            walk(value)
walk(dash)
families = set(re.findall(r'^# TYPE (\S+) ', open(sys.argv[2]).read(), re.M))
used = set()
for e in exprs:
    for name in re.findall(r'\bcairn_[a-z0-9_]+', e):
        used.add(re.sub(r'_(bucket|sum|count)$', '', name) if name not in families else name)
if len(exprs) < 6:
    print('only %d queries in the dashboard' % len(exprs))
print(' '.join(sorted(n for n in used if n not in families)))
PY
)"
[ -z "$missing" ] || fail "the dashboard uses metrics cairn does not expose: $missing"
pass "every metric the Grafana dashboard queries is in the scrape"

# A real Prometheus scraping cairn.
PROM_PORT="$(free_port)"
start_prometheus "$PROM_PORT" cairn "$CAIRN_ADDR"

# query EXPR: the single value of an instant query, or "none".
query() {
  curl -fsS --max-time 2 "127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" 2>/dev/null \
    | python3 -c 'import json,sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if len(r) == 1 else "none")' 2>/dev/null || echo none
}
# wait_for EXPR WANT: polls (every 0.2 s, 30 s at most) until EXPR's value is WANT.
wait_for() {
  local got=none
  for _ in $(seq 1 150); do
    got="$(query "$1")"
    [ "$got" = "$2" ] && return 0
    sleep 0.2
  done
  fail "Prometheus answers $got for $1, expected $2"
}
wait_for 'up{job="cairn"}' 1
wait_for 'sum(cairn_router_requests_total{service="hello",code_class="2xx"})' "$REQUESTS"
pass "Prometheus counts the $REQUESTS answers from its own scrape"
wait_for 'sum(cairn_instances{service="hello",state="healthy"})' 2
wait_for 'sum(cairn_instances{service="hello",state="healthy"}) == bool on() cairn_service_desired_replicas{service="hello"}' 1
wait_for 'sum(cairn_router_request_duration_seconds_count{service="hello"})' "$REQUESTS"
p99="$(query 'histogram_quantile(0.99, sum by (le) (cairn_router_request_duration_seconds_bucket{service="hello"}))')"
python3 -c "import sys; v = float('$p99'); sys.exit(0 if 0 < v <= 50.2 else 1)" 2>/dev/null \
  || fail "histogram_quantile over the router's buckets gave $p99"
wait_for 'cairn_revisions_total{action="apply"}' 1
pass "the controller's numbers match: 2 of 2 instances healthy, one apply, p99 $p99 s"
# Instances that are gone leave the scrape; the router keeps their counters for `cairn traffic`.
OLD_IDS="$("$CAIRN" status -o json | json_get '" ".join(i["id"] for s in d["services"] for i in s["instances"])')"
hello_spec "$E2E_DIR/hello2.yaml" v2 2
run_cli 0 apply -f "$E2E_DIR/hello2.yaml" -m "v2" --author alice --wait
for _ in $(seq 1 50); do
  [ "$("$CAIRN" status -o json | json_get 'len([i for s in d["services"] for i in s["instances"]])')" = 2 ] && break
  sleep 0.1
done
curl -fsS --max-time 2 -o /dev/null "127.0.0.1:$LISTEN_PORT/" || fail "request to v2 failed"
SCRAPE="$(curl -fsS "http://$CAIRN_ADDR/metrics")"
for id in $OLD_IDS; do
  grep -q "instance_id=\"$id\"" <<<"$SCRAPE" && fail "instance $id was replaced but /metrics still exports it"
done
grep -q 'cairn_router_requests_total{service="hello",version="revision 2"' <<<"$SCRAPE" \
  || fail "revision 2's instances are not in the scrape"
run_cli 0 traffic
for id in $OLD_IDS; do contains "$OUT" "$id"; done
pass "replaced instances leave /metrics; cairn traffic still shows what they served"
echo "metrics_prometheus: all passed"
