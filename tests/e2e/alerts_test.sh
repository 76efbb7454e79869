#!/usr/bin/env bash
# Alerts end to end: a rollout stuck past its progress deadline fires CairnRolloutStuck at a
# real webhook receiver in Alertmanager's v4 format (after a retry: the receiver answers 500
# first), a good apply resolves it, also after the server was killed and restarted while it
# fired; an instance that keeps exiting fires CairnCrashLoop, resolved once it is replaced;
# then a receiver that accepts and never answers does not stall the controller or the API.
source "$(dirname "$0")/lib.sh"

PROGRESS_DEADLINE=3s  # a stuck rollout fires its alert soon
spec() { hello_spec "$1" "$2" 1 "${3:-}"; }

# A bad configuration stops the server with the file's position.
printf 'alerts:\n  receivers:\n    - name: pager\n      url: https://example.com/hook\n' >"$E2E_DIR/bad.yaml"
run_cli 1 server --data-dir "$DATA_DIR" --addr "$CAIRN_ADDR" --config "$E2E_DIR/bad.yaml"
contains "$ERR" "bad.yaml:4:12: alerts.receivers[0].url: webhook URL \"https://example.com/hook\" uses https"
pass "https receiver refused at config load with file:line:col"

# --- delivery with a retry, firing then resolved -------------------------------------------
RECORD_PORT="$(free_port)"
alert_receiver record-500-first "$RECORD_PORT" "$E2E_DIR/received.jsonl"
cat >"$E2E_DIR/server.yaml" <<YAML
alerts:
  receivers:
    - name: pager
      url: http://127.0.0.1:$RECORD_PORT/hook
      format: alertmanager
      send_resolved: true
YAML
start_server --config "$E2E_DIR/server.yaml"

spec "$E2E_DIR/v1.yaml" v1
run_cli 0 apply -f "$E2E_DIR/v1.yaml" --wait
spec "$E2E_DIR/v2.yaml" v2 ", HELLO_UNHEALTHY: '1'"
run_cli 4 apply -f "$E2E_DIR/v2.yaml" --wait

STUCK='a["version"] == "4" and a["status"] == "firing" and a["receiver"] == "pager" and a["commonLabels"]["alertname"] == "CairnRolloutStuck" and a["commonLabels"]["service"] == "hello" and a["alerts"][0]["status"] == "firing" and len(a["alerts"][0]["fingerprint"]) == 16 and a["alerts"][0]["endsAt"] == "0001-01-01T00:00:00Z" and "progress deadline" in a["alerts"][0]["annotations"]["summary"]'
wait_for_json_line "$E2E_DIR/received.jsonl" "$STUCK"
# The first POST got 500: the same notification came again.
wait_for_json_line "$E2E_DIR/received.jsonl" "$STUCK" 2
[ "$(sed -n 1p "$E2E_DIR/received.jsonl")" = "$(sed -n 2p "$E2E_DIR/received.jsonl")" ] \
  || fail "the second POST is not the retry of the first"
grep -q "receiver pager: answered HTTP 500; retrying in 1s" "$E2E_DIR/server.log" || fail "retry not logged"
pass "CairnRolloutStuck fired in Alertmanager v4 format, delivered after a retry"

[ "$(sed -n 1p "$E2E_DIR/received.jsonl" | json_get 'd["commonLabels"]["environment"]')" = e2e ] \
  || fail "the environment is no label: $(sed -n 1p "$E2E_DIR/received.jsonl")"

# The server dies while the alert fires; the restarted one finds it in the event history.
kill -KILL "$SERVER_PID"
wait_gone "$SERVER_PID"
start_server --config "$E2E_DIR/server.yaml"
spec "$E2E_DIR/v3.yaml" v3
run_cli 0 apply -f "$E2E_DIR/v3.yaml" --wait
wait_for_json_line "$E2E_DIR/received.jsonl" 'a["status"] == "resolved" and a["commonLabels"]["alertname"] == "CairnRolloutStuck" and a["alerts"][0]["endsAt"] != "0001-01-01T00:00:00Z"'
[ "$(grep -c '"firing"' "$E2E_DIR/received.jsonl")" = 2 ] || fail "fired again after the restart"
pass "a good apply after a kill -9 and restart resolved it, without firing it again"

# --- a crash loop: an instance that exits at once, five short runs in a row (~15 s) --------
# cairn-hello refuses the rate and exits 2; a deadline long enough for the loop to show.
PROGRESS_DEADLINE=60s spec "$E2E_DIR/crash.yaml" v4 ", HELLO_FAIL_RATE: '2'"
run_cli 0 apply -f "$E2E_DIR/crash.yaml"
LOOP='a["status"] == "firing" and a["commonLabels"]["alertname"] == "CairnCrashLoop" and a["commonLabels"]["instance"].startswith("hello-") and a["alerts"][0]["annotations"]["severity"] == "critical"'
wait_for_json_line "$E2E_DIR/received.jsonl" "$LOOP" 1 300
spec "$E2E_DIR/v5.yaml" v5
run_cli 0 apply -f "$E2E_DIR/v5.yaml" --wait
wait_for_json_line "$E2E_DIR/received.jsonl" 'a["status"] == "resolved" and a["commonLabels"]["alertname"] == "CairnCrashLoop"'
pass "an instance in a crash loop fired CairnCrashLoop; replacing it resolved the alert"

# --- a receiver that never answers does not stall the controller ---------------------------
kill -TERM "$SERVER_PID"
for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
HANG_PORT="$(free_port)"
alert_receiver hang "$HANG_PORT" "$E2E_DIR/hung.txt"
start_server --alert-webhook "http://127.0.0.1:$HANG_PORT/hook" \
  --alert-webhook "http://127.0.0.1:$RECORD_PORT/second"
spec "$E2E_DIR/v4.yaml" v4 ", HELLO_UNHEALTHY: '1'"
run_cli 4 apply -f "$E2E_DIR/v4.yaml" --wait
for _ in $(seq 1 100); do [ -s "$E2E_DIR/hung.txt" ] && break; sleep 0.1; done
[ -s "$E2E_DIR/hung.txt" ] || fail "the hanging receiver got no request"
# While the receiver holds the request: the API answers promptly and a rollout completes.
spec "$E2E_DIR/v5.yaml" v5
"$CAIRN" apply -f "$E2E_DIR/v5.yaml" --wait >"$E2E_DIR/apply5.out" 2>&1 &
APPLY_PID=$!
slowest=0
for _ in $(seq 1 20); do
  for cmd in version status; do
    start=$(date +%s%N)
    "$CAIRN" "$cmd" >/dev/null || fail "cairn $cmd failed while the receiver hangs"
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    [ "$ms" -gt "$slowest" ] && slowest=$ms
    [ "$ms" -lt 2000 ] || fail "cairn $cmd took ${ms} ms while the receiver hangs"
  done
  sleep 0.1
done
wait "$APPLY_PID" || { cat "$E2E_DIR/apply5.out"; fail "the rollout did not complete while the receiver hangs"; }
[ "$(curl -fsS --max-time 2 "127.0.0.1:$LISTEN_PORT/" | json_get 'd["version"]')" = v5 ] || fail "v5 serves"
# The other receiver was not held up by the hanging one.
wait_for_json_line "$E2E_DIR/received.jsonl" 'a["receiver"] == "webhook-2" and a["status"] == "resolved"'
# The hung attempt timed out and is being retried, in the log and at the receiver.
for _ in $(seq 1 100); do
  [ "$(wc -l <"$E2E_DIR/hung.txt")" -ge 2 ] && break
  sleep 0.1
done
grep -q "receiver webhook-1: no answer within 5s; retrying in" "$E2E_DIR/server.log" \
  || fail "the hung attempt's timeout was not logged"
[ "$(wc -l <"$E2E_DIR/hung.txt")" -ge 2 ] || fail "the hung notification was not retried"
pass "a hanging receiver stalled nothing (slowest API call ${slowest} ms)"

# Shutting down while a notification hangs is prompt and clean.
kill -TERM "$SERVER_PID"
for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$SERVER_PID" 2>/dev/null || fail "the server did not exit within 5 s of SIGTERM"
! grep -q "ERROR: AddressSanitizer\|runtime error" "$E2E_DIR/server.log" || fail "sanitizer report"
pass "the server stops promptly with a notification in flight"
