# A socket-activated server (systemd's protocol: LISTEN_FDS / LISTEN_PID, spoken here by
# tools/socket_activate.py as a .socket unit would) restarted under load: the API and service
# sockets stay open in the activator while no server runs, so nothing is refused, the old
# server drains what it accepted, and the new one serves the last route table at once.
source "$(dirname "$0")/lib.sh"
LOAD="$(dirname "$0")/tools/restart_load.py"
ACTIVATE="$(dirname "$0")/tools/socket_activate.py"

hello_spec "$E2E_DIR/v1.yaml" v1 2
"$ACTIVATE" --listen "$CAIRN_ADDR" --listen "127.0.0.1:$LISTEN_PORT" --pidfile "$E2E_DIR/server.pid" \
  -- "$CAIRN" server --data-dir "$DATA_DIR" --addr "$CAIRN_ADDR" >>"$E2E_DIR/server.log" 2>&1 &
ACTIVATOR=$!
stop_on_exit "$ACTIVATOR" "$E2E_DIR/server.log"
# The activator holds the API socket even when no server accepts on it: ask with a bound.
for _ in $(seq 1 100); do
  [ -f "$E2E_DIR/server.pid" ] && { kill -0 "$(cat "$E2E_DIR/server.pid")" 2>/dev/null ||
    fail "the socket-activated server exited"; }
  timeout 5 "$CAIRN" version -o json 2>/dev/null | grep -q '"server": "' && break
  sleep 0.1
done
SERVER_PID="$(cat "$E2E_DIR/server.pid")"
grep -q "socket activation: 2 listening sockets" "$E2E_DIR/server.log" || fail "the server did not take the activated sockets"
run_cli 0 apply -f "$E2E_DIR/v1.yaml" -m "first" --wait
PIDS_BEFORE="$(instance_pids | sort | tr '\n' ' ')"

"$LOAD" "$LISTEN_PORT" --concurrency 4 --until "$E2E_DIR/stop" --duration 120 \
  --started "$E2E_DIR/started" --out "$E2E_DIR/load.json" >/dev/null &
LOAD_PID=$!
stop_on_exit "$LOAD_PID"
for _ in $(seq 1 100); do [ -f "$E2E_DIR/started" ] && break; sleep 0.1; done
[ -f "$E2E_DIR/started" ] || fail "the load did not start"
kill -HUP "$ACTIVATOR"  # systemctl restart
for _ in $(seq 1 300); do [ "$(cat "$E2E_DIR/server.pid")" != "$SERVER_PID" ] && break; sleep 0.1; done
[ "$(cat "$E2E_DIR/server.pid")" != "$SERVER_PID" ] || fail "the server was not restarted"
SERVER_PID="$(cat "$E2E_DIR/server.pid")"
run_cli 0 status  # the API answers on the same socket
for _ in $(seq 1 20); do
  curl -fsS --max-time 5 -o /dev/null "127.0.0.1:$LISTEN_PORT/" || fail "a request after the restart failed"
done
touch "$E2E_DIR/stop"
wait "$LOAD_PID"
cat "$E2E_DIR/load.json"
[ "$(json_get 'd["failed"]' <"$E2E_DIR/load.json")" = 0 ] || fail "requests failed across a socket-activated restart"
grep -q "leaving instances running and the sockets to systemd" "$E2E_DIR/server.log" || fail "the old server did not drain"
[ "$(instance_pids | sort | tr '\n' ' ')" = "$PIDS_BEFORE" ] || fail "the restart replaced instances"
pass "a socket-activated restart under load: $(json_get 'd["ok"]' <"$E2E_DIR/load.json") requests, none failed"
