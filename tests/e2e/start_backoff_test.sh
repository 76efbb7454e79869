# A service whose program cannot be executed (here a script naming an interpreter that does not
# exist: executable at apply, refused by execve) is tried again after 1, 2, 4, 8 s … up to
# 5 minutes, not every second; its failures are reported coalesced, with the count and the next
# try, and `cairn status` says why nothing runs (issue 13, item 6: before, one try and one event
# per second, forever).
source "$(dirname "$0")/lib.sh"

printf '#!/nonexistent/interpreter\necho never\n' >"$E2E_DIR/broken"
chmod +x "$E2E_DIR/broken"
cat >"$E2E_DIR/broken.yaml" <<YAML
environment: e2e
services:
  broken:
    command: $E2E_DIR/broken
    replicas: 2
YAML

start_server
run_cli 0 apply -f "$E2E_DIR/broken.yaml"

# Failures 1 to 4 happen at about 0, 1, 3 and 7 s.
failures=0
for _ in $(seq 1 150); do
  failures="$("$CAIRN" status -o json |
    json_get '(d["services"][0].get("start_failure") or {}).get("failures", 0)')"
  [ "$failures" -ge 4 ] && break
  sleep 0.1
done
[ "$failures" -ge 4 ] || fail "4 failed starts did not happen within 15 s (saw $failures)"

run_cli 0 events broken -o json
started_failed="$(grep -c '"type":"instance.start_failed"' <<<"$OUT" || true)"
[ "$started_failed" = 3 ] || { echo "$OUT"; fail "expected 3 start_failed events (1st, 2nd, 4th), saw $started_failed"; }
contains "$OUT" "failed 4 times; next try in 8s"
contains "$OUT" '"retry_in_seconds":8.0'
pass "four failed starts in 7 s, reported three times, the fourth with its count and next try"

run_cli 0 status
contains "$OUT" "broken: cannot start: cannot execute \"$E2E_DIR/broken\""
contains "$OUT" " times since "
contains "$OUT" "; next try in "
run_cli 0 status -o json
[ "$(json_get 'd["services"][0]["healthy"]' <<<"$OUT")" = 0 ] || fail "an instance runs"
pass "cairn status says why nothing runs and when cairn tries again"

curl -fsS "http://$CAIRN_ADDR/metrics" >"$E2E_DIR/metrics"
grep -Eq '^cairn_instance_start_failures_total\{service="broken"\} [45]$' "$E2E_DIR/metrics" ||
  { grep start_failures "$E2E_DIR/metrics"; fail "the metric does not count 4 or 5 failures"; }
pass "the failures are counted in /metrics"
