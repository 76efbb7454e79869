# Canary analysis from a real Prometheus (Debian's, started here on loopback): the canary's
# judged step asks Prometheus for a number its application exports, labelled with the revision
# cairn gives it ($CAIRN_REVISION), and promotes or rolls back on that number alone. A
# Prometheus that stops answering makes the verdicts inconclusive, and the rollout waits for a
# person instead of passing.
source "$(dirname "$0")/lib.sh"

# The application's metrics, as an exporter would serve them: one error ratio per revision.
mkdir -p "$E2E_DIR/exporter"
set_error_ratio() {  # REVISION VALUE
  local file="$E2E_DIR/exporter/metrics"
  { grep -v "revision=\"$1\"" "$file" 2>/dev/null || true
    echo "app_error_ratio{revision=\"$1\"} $2"; } >"$file.tmp"
  mv "$file.tmp" "$file"
}
set_error_ratio 1 0
EXPORTER_PORT="$(free_port)"
python3 -m http.server "$EXPORTER_PORT" --bind 127.0.0.1 --directory "$E2E_DIR/exporter" \
  >"$E2E_DIR/exporter.log" 2>&1 &
stop_on_exit $! "$E2E_DIR/exporter.log"

PROM_PORT="$(free_port)"
start_prometheus_scraping_app() {
  start_prometheus "$PROM_PORT" app "127.0.0.1:$EXPORTER_PORT"
  for _ in $(seq 1 100); do
    curl -fsS "127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode 'query=up{job="app"} == 1' 2>/dev/null \
      | grep -q '"value"' && return 0
    sleep 0.2
  done
  fail "Prometheus did not start scraping the exporter"
}
start_prometheus_scraping_app
pass "Prometheus scrapes the application's metrics on loopback"

CANARY="      canary:
        steps:
          - weight: 50
          - analysis:
              interval: 1s
              count: 3
              inconclusive_limit: 1
              prometheus:
                - name: error_ratio
                  address: http://127.0.0.1:$PROM_PORT
                  query: 'max(app_error_ratio{revision=\"{{revision}}\"})'
                  condition: '<= 0.05'"
web_spec "$E2E_DIR/v1.yaml" v1 "      rolling: { max_surge: 1, max_unavailable: 0 }"
web_spec "$E2E_DIR/v2.yaml" v2 "$CANARY"
web_spec "$E2E_DIR/v3.yaml" v3 "$CANARY"
web_spec "$E2E_DIR/v4.yaml" v4 "$CANARY"

verdicts() { "$CAIRN" rollout status web -o json >/dev/null; grep -F "rollout.verdict" "$E2E_DIR/server.log" || true; }

start_server
run_cli 0 apply -f "$E2E_DIR/v1.yaml" -m "v1" --author alice --wait

set_error_ratio 2 0.01
run_cli 0 apply -f "$E2E_DIR/v2.yaml" -m "v2 judged by Prometheus" --author alice
watch_rollout 0
contains "$(cat "$E2E_DIR/watch.out")" "web: revision 2 complete"
contains "$(verdicts)" "step analysis: pass: error_ratio = 0.01 (<= 0.05) (3 passed, 0 failed, 0 inconclusive)"
pass "v2, whose error ratio in Prometheus is 0.01, passes three intervals and is promoted"

set_error_ratio 3 0.5
run_cli 0 apply -f "$E2E_DIR/v3.yaml" -m "v3 judged by Prometheus" --author alice
watch_rollout 4
contains "$(cat "$E2E_DIR/watch.out")" "error_ratio = 0.5, not <= 0.05"
run_cli 0 rollout status web -o json
[ "$(json_get 'd["revision"]' <<<"$OUT")" = 2 ] || fail "after the rollback revision 2 runs: $OUT"
pass "v3, whose error ratio is 0.5, is rolled back on its first verdict"

kill "$PROM_PID"; wait "$PROM_PID" 2>/dev/null || true
set_error_ratio 4 0
run_cli 0 apply -f "$E2E_DIR/v4.yaml" -m "v4 with Prometheus down" --author alice
for _ in $(seq 1 150); do
  run_cli 0 rollout status web -o json
  [ "$(json_get '(d["progressive"] or {}).get("phase", "")' <<<"$OUT")" = waiting_for_promote ] && break
  sleep 0.2
done
[ "$(json_get 'd["progressive"]["phase"]' <<<"$OUT")" = waiting_for_promote ] || fail "v4 never waited: $OUT"
contains "$(verdicts)" "inconclusive: error_ratio: no number (cannot reach Prometheus at http://127.0.0.1:$PROM_PORT"
contains "$(grep -F rollout.waiting "$E2E_DIR/server.log")" "analysis inconclusive: error_ratio: no number (cannot reach Prometheus"
run_cli 0 rollout status web
contains "$OUT" "canary to revision 4 over 2"
pass "with Prometheus down the verdicts are inconclusive and the rollout waits for a person"

run_cli 0 rollout abort web --author alice
watch_rollout 4
echo "prometheus_analysis: all passed"
