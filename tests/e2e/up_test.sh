# `cairn up`: the demo entry point. The environment comes up in the foreground, and Ctrl-C
# (SIGINT) stops every instance before cairn exits — no orphan processes.
source "$(dirname "$0")/lib.sh"

hello_spec "$E2E_DIR/v1.yaml" v1 3
"$CAIRN" up -f "$E2E_DIR/v1.yaml" --data-dir "$DATA_DIR" --addr "$CAIRN_ADDR" >"$E2E_DIR/up.out" 2>"$E2E_DIR/server.log" &
SERVER_PID=$!

for _ in $(seq 1 150); do
  grep -q "INSTANCE" "$E2E_DIR/up.out" 2>/dev/null && break
  sleep 0.1
done
contains "$(cat "$E2E_DIR/up.out")" "Revision 1 applied"
contains "$(cat "$E2E_DIR/up.out")" "3 of 3 instances of revision 1 healthy"
[ "$(instance_pids | wc -l)" = 3 ] || fail "expected 3 instance processes, found $(instance_pids | wc -l)"
pass "cairn up brings up 3 healthy instances"

kill -INT "$SERVER_PID"
for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SERVER_PID" 2>/dev/null && fail "cairn up did not exit after SIGINT"
wait "$SERVER_PID" || fail "cairn up exited non-zero after SIGINT"
[ -z "$(instance_pids)" ] || fail "instances left after Ctrl-C: $(instance_pids)"
contains "$(cat "$E2E_DIR/up.out")" "cairn stopped."
pass "Ctrl-C stops every instance and cairn exits 0"

# A bad file: up reports the error and exits non-zero without leaving a server behind.
echo "environment: [" >"$E2E_DIR/bad.yaml"
set +e
"$CAIRN" up -f "$E2E_DIR/bad.yaml" --data-dir "$DATA_DIR" --addr "$CAIRN_ADDR" >/dev/null 2>"$E2E_DIR/bad.err"
code=$?
set -e
[ "$code" = 1 ] || fail "up with a bad file exited $code"
contains "$(cat "$E2E_DIR/bad.err")" "bad.yaml:"
pass "up with a malformed file exits 1 with the position"
echo "up: all passed"
