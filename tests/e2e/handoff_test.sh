# An upgrade as a client of the service port sees it: `cairn server --takeover` takes the
# listening sockets, the data dir and the instances over from the running server. Under a
# steady load not one request fails, no instance is restarted, the old server drains and
# exits, and the new one answers the API and owns the store.
source "$(dirname "$0")/lib.sh"
LOAD="$(dirname "$0")/tools/restart_load.py"

hello_spec "$E2E_DIR/v1.yaml" v1 2
start_server
run_cli 0 apply -f "$E2E_DIR/v1.yaml" -m "first" --wait
PIDS_BEFORE="$(instance_pids | sort | tr '\n' ' ')"

# The takeover, under load: four clients, a new connection per request.
OLD_PID="$SERVER_PID"
"$LOAD" "$LISTEN_PORT" --concurrency 4 --until "$E2E_DIR/stop" --duration 120 \
  --started "$E2E_DIR/started" --out "$E2E_DIR/load.json" >/dev/null &
LOAD_PID=$!
stop_on_exit "$LOAD_PID"
for _ in $(seq 1 100); do [ -f "$E2E_DIR/started" ] && break; sleep 0.1; done
[ -f "$E2E_DIR/started" ] || fail "the load did not start"
"$CAIRN" server --takeover --data-dir "$DATA_DIR" --addr "$CAIRN_ADDR" >>"$E2E_DIR/server.log" 2>&1 &
SERVER_PID=$!
disown "$SERVER_PID"
for _ in $(seq 1 300); do kill -0 "$OLD_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$OLD_PID" 2>/dev/null && fail "the old server did not exit after the takeover"
kill -0 "$SERVER_PID" 2>/dev/null || fail "the new server is not running"
# The new server alone serves for a while under the same load before the load stops.
for _ in $(seq 1 20); do
  curl -fsS --max-time 5 -o /dev/null "127.0.0.1:$LISTEN_PORT/" || fail "a request after the takeover failed"
done
touch "$E2E_DIR/stop"
wait "$LOAD_PID"
cat "$E2E_DIR/load.json"
[ "$(json_get 'd["failed"]' <"$E2E_DIR/load.json")" = 0 ] || fail "requests failed across the takeover"
[ "$(json_get 'd["ok"]' <"$E2E_DIR/load.json")" -gt 100 ] || fail "too little load to say anything"
grep -q "listening sockets over from pid $OLD_PID" "$E2E_DIR/server.log" || fail "the new server did not say it took the sockets over"
grep -q "every connection is done; exiting" "$E2E_DIR/server.log" || fail "the old server did not drain"
pass "a takeover under load: $(json_get 'd["ok"]' <"$E2E_DIR/load.json") requests, none failed"

[ "$(instance_pids | sort | tr '\n' ' ')" = "$PIDS_BEFORE" ] || fail "the takeover replaced instances"
run_cli 0 status -o json
[ "$(json_get 'd["services"][0]["healthy"]' <<<"$OUT")" = 2 ] || fail "status after the takeover: $OUT"
run_cli 0 events -o json --last 1000
contains "$OUT" "instance.adopted"
# The store is the new server's: an apply goes through it and rolls out as usual.
hello_spec "$E2E_DIR/v2.yaml" v2 2
run_cli 0 apply -f "$E2E_DIR/v2.yaml" -m "after the takeover" --wait
[ "$(versions_seen 10)" = "v2 " ] || fail "the new server did not roll out v2"
pass "the new server adopted the instances, answers the API and owns the store"

# No server left to take over from: --takeover starts as usual.
kill -TERM "$SERVER_PID"
for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
start_server --takeover
grep -q "to take over from; starting afresh" "$E2E_DIR/server.log" || fail "--takeover with no server"
pass "--takeover with no server running starts as usual"
