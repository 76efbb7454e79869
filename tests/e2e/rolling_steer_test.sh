# A rolling replace steered like any rollout: `cairn rollout pause` holds it half done (old and
# new instances both serving), `resume` finishes it, `abort` puts the stable revision back,
# and `promote` says what steers a rolling replace instead.
source "$(dirname "$0")/lib.sh"

# web_spec FILE VERSION: two instances that each take about a second to count as healthy, so a
# replace takes a few seconds and a person can catch it half done.
web_spec() {
  cat >"$1" <<YAML
environment: e2e
services:
  web:
    command: cairn-hello
    replicas: 2
    env: { HELLO_VERSION: $2 }
    ports:
      http: { listen: $LISTEN_PORT, protocol: http }
    health:
      http: { path: /healthz, interval: 200ms, timeout: 150ms, healthy_after: 5 }
    strategy:
      rolling: { max_surge: 1, max_unavailable: 0, progress_deadline: 30s }
    stop_timeout: 3s
YAML
}
for v in v1 v2 v3 v4; do web_spec "$E2E_DIR/$v.yaml" "$v"; done
versions_seen() {
  for _ in $(seq 1 "$1"); do
    curl -fsS --max-time 2 "127.0.0.1:$LISTEN_PORT/" | json_get 'd["version"]' || echo error
  done | sort -u | tr '\n' ' '
}
watch_rollout() {  # EXPECTED_EXIT
  set +e
  timeout 90 "$CAIRN" rollout status web --watch --timeout 60s >"$E2E_DIR/watch.out" 2>&1
  local code=$?
  set -e
  [ "$code" = "$1" ] || { cat "$E2E_DIR/watch.out"; fail "rollout status --watch exited $code, expected $1"; }
}

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
