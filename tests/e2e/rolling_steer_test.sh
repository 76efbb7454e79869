# A rolling replace steered like any rollout: `cairn rollout pause` holds it half done (old and
# new instances both serving), `resume` finishes it, `abort` puts the stable revision back,
# and `promote` says what steers a rolling replace instead.
source "$(dirname "$0")/lib.sh"

# Two instances that each take about a second to count as healthy, so a replace takes a few
# seconds and a person can catch it half done.
ROLLING="      rolling: { max_surge: 1, max_unavailable: 0, progress_deadline: 30s }"
for v in v1 v2 v3 v4; do web_spec "$E2E_DIR/$v.yaml" "$v" "$ROLLING" ", healthy_after: 5"; done

start_server
run_cli 0 apply -f "$E2E_DIR/v1.yaml" -m "v1" --author alice --wait

run_cli 0 apply -f "$E2E_DIR/v2.yaml" -m "v2" --author alice
run_cli 0 rollout pause web --author alice
contains "$OUT" "Rollout of web paused."
contains "$OUT" "web: rolling to revision 2 over 1 — progressing, paused;"
sleep 3
run_cli 0 rollout status web
contains "$OUT" "web: rolling to revision 2 over 1 — progressing, paused; "
contains "$OUT" "Paused by a person: \`cairn rollout resume web\` carries on."
run_cli 0 status -o json
old="$(json_get 'sum(1 for i in d["services"][0]["instances"] if i["revision"] == 1 and i["state"] != "stopping")' <<<"$OUT")"
[ "$old" -ge 1 ] || fail "a paused replace must keep the old instances: $OUT"
seen="$(versions_seen 20)"
contains "$seen" "v1"
pass "a paused rolling replace holds: v1 still serves after 3 s ($seen)"

run_cli 0 rollout resume web --author alice
watch_rollout 0
contains "$(cat "$E2E_DIR/watch.out")" "web: revision 2 complete"
[ "$(versions_seen 10)" = "v2 " ] || fail "after the resumed replace only v2 must answer"
pass "resume finishes the replace; --watch exits 0"

run_cli 0 apply -f "$E2E_DIR/v3.yaml" -m "v3" --author alice
run_cli 5 rollout promote web --author alice
contains "$ERR" "a rolling replace has no steps to promote"
run_cli 0 rollout abort web --author bob
contains "$OUT" "Rollout of web aborted."
watch_rollout 4
contains "$(cat "$E2E_DIR/watch.out")" "web: rollout failed: rollout aborted: aborted by bob"
for _ in $(seq 1 100); do
  run_cli 0 status -o json
  [ "$(json_get 'sorted(set(i["revision"] for i in d["services"][0]["instances"]))' <<<"$OUT")" = "[2]" ] && break
  sleep 0.2
done
[ "$(json_get 'sorted(set(i["revision"] for i in d["services"][0]["instances"]))' <<<"$OUT")" = "[2]" ] \
  || fail "after the abort only revision 2 instances must remain: $OUT"
[ "$(versions_seen 10)" = "v2 " ] || fail "after the abort only v2 must answer"
pass "abort puts the stable revision back; --watch exits 4 with the reason"

run_cli 0 audit -o json
[ "$(json_get 'any(r["action"] == "rollout.pause" and r["actor"] == "alice" for r in d)' <<<"$OUT")" = True ] \
  || fail "the pause is audited"
echo "rolling_steer: all passed"
