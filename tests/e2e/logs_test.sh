# Logs as a machine reads them: `cairn server --log-format json` writes only JSON objects to
# stderr, events among them with their figures; a port with `access_log: true` gets one access
# line per request through the router, and turning it off (an update: no instance replaced)
# stops them.
source "$(dirname "$0")/lib.sh"

# hello behind the router with access_log ON or OFF ("true"/"false").
logged_spec() {
  cat >"$1" <<YAML
environment: e2e
services:
  hello:
    command: cairn-hello
    replicas: 1
    env: { HELLO_VERSION: v1 }
    ports:
      http: { listen: $LISTEN_PORT, protocol: http, access_log: $2 }
    health:
      http: { path: /healthz, interval: 200ms, timeout: 150ms }
    stop_timeout: 3s
YAML
}
logged_spec "$E2E_DIR/on.yaml" true
logged_spec "$E2E_DIR/off.yaml" false
LOG="$E2E_DIR/server.log"

"$CAIRN" server --data-dir "$DATA_DIR" --addr "$CAIRN_ADDR" --log-format json \
  >"$E2E_DIR/server.out" 2>"$LOG" &
SERVER_PID=$!
disown "$SERVER_PID"
for _ in $(seq 1 100); do
  "$CAIRN" version -o json 2>/dev/null | grep -q '"server": "' && break
  sleep 0.1
done

# access_lines: how many access lines the server wrote so far.
access_lines() { grep -c '"msg":"access"' "$LOG" || true; }

run_cli 0 apply -f "$E2E_DIR/on.yaml" -m "with access log" --wait
for i in 1 2 3 4 5; do
  curl -fsS --max-time 2 "127.0.0.1:$LISTEN_PORT/?n=$i" >/dev/null || fail "request $i"
done
# Lines are flushed within 200 ms of the first one.
for _ in $(seq 1 30); do [ "$(access_lines)" -ge 5 ] && break; sleep 0.1; done
[ "$(access_lines)" = 5 ] || { cat "$LOG"; fail "expected 5 access lines, found $(access_lines)"; }

python3 - "$LOG" <<'PY' || fail "server log check"
import json, sys
applied, access = None, []
for n, line in enumerate(open(sys.argv[1]), 1):
    try:
        d = json.loads(line)
    except ValueError:
        sys.exit(f"line {n} is not JSON: {line!r}")
    for key in ("ts", "level", "msg"):
        if key not in d:
            sys.exit(f"line {n} lacks {key}: {line!r}")
    if d.get("event") == "revision.applied" and applied is None:
        applied = d
    if d["msg"] == "access":
        access.append(d)
if applied is None:
    sys.exit("no revision.applied event line")
if applied["data"].get("revision") != 1 or applied["service"] != "":
    sys.exit(f"revision.applied without its data: {applied}")
for i, a in enumerate(sorted(access, key=lambda a: a["target"]), 1):
    want = {"method": "GET", "target": f"/?n={i}", "status": 200, "service": "hello",
            "version": "revision 1", "http": "1.1", "client": "127.0.0.1"}
    got = {k: a.get(k) for k in want}
    if got != want or a["bytes"] <= 0 or not a["instance"].startswith("hello-"):
        sys.exit(f"access line {i}: {a}")
PY
pass "--log-format json: every stderr line is JSON; events and one access line per request"

run_cli 0 status -o json
BEFORE="$(json_get '[i["id"] for s in d["services"] for i in s["instances"]]' <<<"$OUT")"
run_cli 0 plan -f "$E2E_DIR/off.yaml"
contains "$OUT" "access_log"
run_cli 0 apply -f "$E2E_DIR/off.yaml" -m "access log off" --wait
run_cli 0 status -o json
AFTER="$(json_get '[i["id"] for s in d["services"] for i in s["instances"]]' <<<"$OUT")"
[ "$BEFORE" = "$AFTER" ] || fail "turning the access log off replaced instances: $BEFORE -> $AFTER"
COUNT="$(access_lines)"
for i in 1 2 3 4 5; do
  curl -fsS --max-time 2 "127.0.0.1:$LISTEN_PORT/?off=$i" >/dev/null || fail "request off $i"
done
sleep 0.5  # twice the flush interval: a line would be out by now
[ "$(access_lines)" = "$COUNT" ] || fail "access lines without access_log: $(grep off "$LOG")"
pass "without access_log no access line; toggling it replaces no instance"

kill -INT "$SERVER_PID"
for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
python3 -c '
import json, sys
for line in open(sys.argv[1]): json.loads(line)
' "$LOG" || fail "a shutdown line is not JSON"
grep -q '"msg":"interrupted; leaving instances running' "$LOG" || fail "no shutdown line"
pass "shutdown is logged as JSON too"
