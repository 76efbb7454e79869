# A plain restart as a client of the service port sees it: while no server runs the port
# refuses connections, but the restarted server serves the route table the last one
# published before its first probe round, so from the moment it listens the adopted instances
# answer: no 503 while they are probed again, and no instance is restarted.
source "$(dirname "$0")/lib.sh"
LOAD="$(dirname "$0")/tools/restart_load.py"

hello_spec "$E2E_DIR/v1.yaml" v1 2
start_server
run_cli 0 apply -f "$E2E_DIR/v1.yaml" -m "first" --wait
PIDS_BEFORE="$(instance_pids | sort | tr '\n' ' ')"

# A plain restart under load: while no server runs the port refuses connections (nothing
# listens), but from the moment the new server listens every request is served by the
# adopted instances: no 503 while they are probed again.
"$LOAD" "$LISTEN_PORT" --concurrency 4 --until "$E2E_DIR/stop-restart" --duration 120 \
  --started "$E2E_DIR/started-restart" --out "$E2E_DIR/restart.json" >/dev/null &
LOAD_PID=$!
stop_on_exit "$LOAD_PID"
for _ in $(seq 1 100); do [ -f "$E2E_DIR/started-restart" ] && break; sleep 0.1; done
[ -f "$E2E_DIR/started-restart" ] || fail "the load did not start"
kill -TERM "$SERVER_PID"
for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SERVER_PID" 2>/dev/null && fail "the server did not stop on SIGTERM"
start_server
for _ in $(seq 1 20); do
  curl -fsS --max-time 5 -o /dev/null "127.0.0.1:$LISTEN_PORT/" || fail "a request after the restart failed"
done
touch "$E2E_DIR/stop-restart"
wait "$LOAD_PID"
cat "$E2E_DIR/restart.json"
[ "$(json_get 'd["status_503"]' <"$E2E_DIR/restart.json")" = 0 ] || fail "503s after a plain restart"
[ "$(json_get 'd["status_other"]' <"$E2E_DIR/restart.json")" = 0 ] || fail "errors after a plain restart"
[ "$(instance_pids | sort | tr '\n' ' ')" = "$PIDS_BEFORE" ] || fail "a restart replaced instances"
pass "a plain restart: refused while no server listens, then served at once (no 503)"

