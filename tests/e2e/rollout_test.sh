# `cairn rollout` as a person drives a canary: v1 starts plainly, v2 goes out as a canary that
# holds at half the traffic until promoted, v3 goes out as a canary and is aborted. Checks the
# answers through the router port, `rollout status` (text, JSON, --watch) and the exit codes,
# and that the abort reaches a webhook receiver as CairnRolloutAborted.
source "$(dirname "$0")/lib.sh"
ROLLING="      rolling: { max_surge: 1, max_unavailable: 0, progress_deadline: 20s }"
CANARY="      canary:
        steps: [{weight: 50}, {pause: {}}]"
web_spec "$E2E_DIR/v1.yaml" v1 "$ROLLING"
web_spec "$E2E_DIR/v2.yaml" v2 "$CANARY"
web_spec "$E2E_DIR/v3.yaml" v3 "$CANARY"

# wait_for_phase PHASE: until `rollout status -o json` shows the rollout in PHASE (30 s at most).
wait_for_phase() {
  for _ in $(seq 1 150); do
    run_cli 0 rollout status web -o json
    [ "$(json_get '(d["progressive"] or {}).get("phase", "")' <<<"$OUT")" = "$1" ] && return 0
    sleep 0.2
  done
  echo "$OUT"
  fail "the rollout never reached phase $1"
}

# A person's abort pages too: CairnRolloutAborted at a webhook receiver.
ALERT_PORT="$(free_port)"
alert_receiver record "$ALERT_PORT" "$E2E_DIR/alerts.jsonl"
start_server --alert-webhook "http://127.0.0.1:$ALERT_PORT/hook"

run_cli 0 apply -f "$E2E_DIR/v1.yaml" -m "v1" --author alice --wait
run_cli 1 rollout promote web --author alice
contains "$ERR" "no rollout of web is in progress"
run_cli 0 rollout status web
contains "$OUT" "web: revision 1 complete"
contains "$OUT" "No rollout of web is in progress."
run_cli 1 rollout status nosuch
contains "$ERR" 'no service named "nosuch"'
pass "without a rollout, a command exits 1 saying so; status shows the last state"

run_cli 0 apply -f "$E2E_DIR/v2.yaml" -m "v2 as a canary" --author alice
wait_for_phase waiting_for_promote
[ "$(json_get 'd["progressive"]["strategy"]' <<<"$OUT")" = canary ] || fail "strategy"
[ "$(json_get 'd["progressive"]["weight_percent"]' <<<"$OUT")" = 50.0 ] || fail "weight 50%"
[ "$(json_get 'd["progressive"]["step"], d["progressive"]["steps"]' <<<"$OUT")" = "2 2" ] || fail "step 2 of 2"
run_cli 0 rollout status web
contains "$OUT" "web: canary to revision 2 over 1 — step 2 of 2 (pause), waiting_for_promote; 50% of traffic on revision 2"
contains "$OUT" "cairn rollout promote web"
seen="$(versions_seen 20)"
[ "$seen" = "v1 v2 " ] || fail "at 50% both versions must answer through the router, got: $seen"
pass "v2 waits at its manual pause with half the traffic; v1 and v2 both answer"

run_cli 5 rollout resume web --author alice
contains "$ERR" "the rollout is not paused"
pass "a command that cannot apply now exits 5 with the reason"

run_cli 0 rollout promote web --author alice
contains "$OUT" "Rollout of web promoted."
set +e
timeout 90 "$CAIRN" rollout status web --watch --timeout 60s >"$E2E_DIR/watch.out" 2>&1
code=$?
set -e
[ "$code" = 0 ] || { cat "$E2E_DIR/watch.out"; fail "rollout status --watch exited $code after promote"; }
contains "$(cat "$E2E_DIR/watch.out")" "web: revision 2 complete"
seen="$(versions_seen 10)"
[ "$seen" = "v2 " ] || fail "after the promotion only v2 must answer, got: $seen"
pass "promote completes the canary; --watch exits 0 and only v2 answers"

run_cli 0 apply -f "$E2E_DIR/v3.yaml" -m "v3 as a canary" --author alice
wait_for_phase waiting_for_promote
seen="$(versions_seen 20)"
[ "$seen" = "v2 v3 " ] || fail "v2 and v3 must both answer during the canary, got: $seen"
# A watch that is running when the abort comes: a line per change (stdout is no terminal).
timeout 90 "$CAIRN" rollout status web --watch --timeout 60s >"$E2E_DIR/watch.out" 2>&1 &
WATCH_PID=$!
stop_on_exit "$WATCH_PID"  # when the test ends early
for _ in $(seq 1 50); do grep -q "waiting_for_promote" "$E2E_DIR/watch.out" && break; sleep 0.1; done
contains "$(cat "$E2E_DIR/watch.out")" "web: canary to revision 3 over 2 — step 2 of 2 (pause), waiting_for_promote"
run_cli 0 rollout abort web --author bob
contains "$OUT" "Rollout of web aborted."
contains "$OUT" "aborted by bob"
set +e
wait "$WATCH_PID"
code=$?
set -e
[ "$code" = 4 ] || { cat "$E2E_DIR/watch.out"; fail "rollout status --watch exited $code after abort, expected 4"; }
contains "$(cat "$E2E_DIR/watch.out")" "web: rollout failed: rollout aborted: aborted by bob; back on revision 2"
[ "$(grep -c $'\r' "$E2E_DIR/watch.out")" = 0 ] || fail "no carriage returns when stdout is not a terminal"
run_cli 4 rollout status web --watch
contains "$OUT" "web: rollout failed: rollout aborted: aborted by bob"
run_cli 0 rollout status web -o json
[ "$(json_get 'd["rollout"]' <<<"$OUT")" = failed ] || fail "status after abort: $OUT"
[ "$(json_get 'd["progressive"]' <<<"$OUT")" = None ] || fail "no rollout after abort: $OUT"
seen="$(versions_seen 10)"
[ "$seen" = "v2 " ] || fail "after the abort only v2 must answer, got: $seen"
pass "abort puts everyone back on v2; --watch exits 4 with the reason"
wait_for_json_line "$E2E_DIR/alerts.jsonl" 'a["status"] == "firing" and a["commonLabels"]["alertname"] == "CairnRolloutAborted" and a["commonLabels"]["service"] == "web" and "aborted by bob" in a["alerts"][0]["annotations"]["summary"]'
pass "the abort fired CairnRolloutAborted at the receiver"

run_cli 0 audit -o json
[ "$(json_get 'any(r["action"] == "rollout.abort" and r["actor"] == "bob" for r in d)' <<<"$OUT")" = True ] \
  || fail "the abort is audited"
pass "rollout commands are audited with their author"
echo "rollout: all passed"
