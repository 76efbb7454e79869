# A flood of idle connections must not take the server down (issue 13, item 3). The server runs
# with 1,024 descriptors (prlimit), which before the descriptor budget a few hundred idle
# clients exhausted: the router stopped answering every port, the API timed out and the health
# probes failed with EMFILE. Now each service port and the API have a cap, descriptors are kept
# in reserve, and accept loops back off when out of descriptors:
#   - 1,500 idle connections on service A's port: A refuses past its cap (a 503), service B's
#     port answers, the API answers, every instance stays healthy;
#   - 200 idle connections on the API: past its cap it answers 503, the service ports and the
#     instances' health carry on; once the flood ends, the API answers again.
source "$(dirname "$0")/lib.sh"

command -v prlimit >/dev/null || fail "prlimit (util-linux) is needed"
OTHER_PORT="$(free_port)"
cat >"$E2E_DIR/env.yaml" <<YAML
environment: e2e
services:
  alpha:
    command: cairn-hello
    replicas: 1
    env: { HELLO_VERSION: alpha }
    ports:
      http: { listen: $LISTEN_PORT, protocol: http }
    health:
      http: { path: /healthz, interval: 200ms, timeout: 150ms }
    stop_timeout: 3s
  beta:
    command: cairn-hello
    replicas: 1
    env: { HELLO_VERSION: beta }
    ports:
      http: { listen: $OTHER_PORT, protocol: http }
    health:
      http: { path: /healthz, interval: 200ms, timeout: 150ms }
    stop_timeout: 3s
YAML
cat >"$E2E_DIR/server.yaml" <<YAML
connections:
  api: 40
  per_listener: 300
YAML

prlimit --nofile=1024:1024 "$CAIRN" server --data-dir "$DATA_DIR" --addr "$CAIRN_ADDR" \
  --config "$E2E_DIR/server.yaml" >>"$E2E_DIR/server.log" 2>&1 &
SERVER_PID=$!
disown "$SERVER_PID"
for _ in $(seq 1 100); do
  "$CAIRN" version -o json 2>/dev/null | grep -q '"server": "' && break
  sleep 0.1
done
grep -q "descriptors: 1024 (service ports 728 connections, at most 300 on one; API 40" \
  "$E2E_DIR/server.log" || fail "the server did not say how it split its descriptors"
run_cli 0 apply -f "$E2E_DIR/env.yaml" -m "two services" --wait

# healthy_count: instances the server reports healthy.
healthy_count() {
  "$CAIRN" status -o json | json_get 'sum(s["healthy"] for s in d["services"])'
}
# unhealthy_events: instance.unhealthy events so far.
unhealthy_events() {
  "$CAIRN" events --after 0 -o json | grep -c '"type":"instance.unhealthy"' || true
}
BEFORE_UNHEALTHY="$(unhealthy_events)"

# hold PORT COUNT: a background holder of COUNT idle connections; sets HOLDER_PID, HOLDER_FIFO.
hold() {
  HOLDER_FIFO="$E2E_DIR/hold.$1"
  mkfifo "$HOLDER_FIFO"
  python3 "$SOURCE_DIR/tests/e2e/tools/hold_connections.py" 127.0.0.1 "$1" "$2" \
    <"$HOLDER_FIFO" >"$E2E_DIR/hold.$1.out" 2>&1 &
  HOLDER_PID=$!
  stop_on_exit "$HOLDER_PID" "$E2E_DIR/hold.$1.out"
  exec {HOLDER_FD}>"$HOLDER_FIFO"  # the holder runs until this closes
  for _ in $(seq 1 300); do grep -q '^held' "$E2E_DIR/hold.$1.out" && return 0; sleep 0.1; done
  fail "the holder of $2 connections to port $1 did not finish connecting"
}
release() {
  exec {HOLDER_FD}>&-
  wait "$HOLDER_PID" 2>/dev/null || true
}

# 1. The flood on alpha's port.
hold "$LISTEN_PORT" 1500
held="$(sed -n 's/^held //p' "$E2E_DIR/hold.$LISTEN_PORT.out")"
[ "$held" -le 300 ] || fail "alpha's port held $held connections, past its cap of 300"
[ "$held" -ge 250 ] || fail "alpha's port held only $held connections (cap 300)"
code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "127.0.0.1:$LISTEN_PORT/" || true)"
[ "$code" = 503 ] || [ "$code" = 000 ] || fail "alpha past its cap answered $code"
for i in $(seq 1 20); do
  body="$(curl -fsS --max-time 3 "127.0.0.1:$OTHER_PORT/" 2>&1)" || fail "beta request $i: $body"
  contains "$body" "beta"
done
pass "beta's port answers while alpha's is flooded"
run_cli 0 status
contains "$OUT" "alpha"
sleep 2  # ten probe intervals: a probe that could not open a socket would show by now
[ "$(healthy_count)" = 2 ] || fail "instances unhealthy during the flood: $(healthy_count)/2"
[ "$(unhealthy_events)" = "$BEFORE_UNHEALTHY" ] || fail "an instance went unhealthy during the flood"
refused="$(curl -fsS --max-time 3 "http://$CAIRN_ADDR/metrics" |
  sed -n 's/^cairn_router_violations_total{kind="connection_limit"} //p')"
[ -n "$refused" ] && [ "${refused%.*}" -ge 1000 ] ||
  fail "connection_limit violations: '$refused', expected the 1,200 refused"
pass "the API and every probe keep working; $refused connections refused past the cap"
release
for _ in $(seq 1 50); do
  curl -fsS --max-time 2 "127.0.0.1:$LISTEN_PORT/" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS --max-time 2 "127.0.0.1:$LISTEN_PORT/" | grep -q alpha || fail "alpha after the flood"
pass "alpha answers again once the flood ends"

# 2. The flood on the API.
API_PORT="${CAIRN_ADDR##*:}"
hold "$API_PORT" 200
held="$(sed -n 's/^held //p' "$E2E_DIR/hold.$API_PORT.out")"
[ "$held" -le 40 ] || fail "the API held $held connections, past its cap of 40"
set +e
"$CAIRN" status >/dev/null 2>"$E2E_DIR/status.err"
set -e
grep -q "too many connections" "$E2E_DIR/status.err" ||
  fail "status past the API's cap: $(cat "$E2E_DIR/status.err")"
for i in $(seq 1 10); do
  curl -fsS --max-time 3 "127.0.0.1:$OTHER_PORT/" >/dev/null || fail "beta during the API flood"
  curl -fsS --max-time 3 "127.0.0.1:$LISTEN_PORT/" >/dev/null || fail "alpha during the API flood"
done
pass "the service ports answer while the API is flooded; the API says why it refuses"
release
for _ in $(seq 1 50); do "$CAIRN" status >/dev/null 2>&1 && break; sleep 0.1; done
[ "$(healthy_count)" = 2 ] || fail "instances after the API flood: $(healthy_count)/2"
[ "$(unhealthy_events)" = "$BEFORE_UNHEALTHY" ] || fail "an instance went unhealthy"
pass "the API answers again; no instance went unhealthy"
