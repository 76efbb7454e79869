# The everyday workflow through the CLI: plan, apply, status, history, diff, rollback, logs,
# with their JSON output and documented exit codes.
source "$(dirname "$0")/lib.sh"

hello_spec "$E2E_DIR/v1.yaml" v1 2
hello_spec "$E2E_DIR/v2.yaml" v2 2

run_cli 3 status
contains "$ERR" "cannot reach the cairn server at $CAIRN_ADDR"
pass "a missing server is exit code 3 with a hint"

start_server

run_cli 0 status
contains "$OUT" "No revision applied yet"

run_cli 2 plan -f "$E2E_DIR/v1.yaml" --detailed-exitcode
contains "$OUT" "+ create  hello (2 replicas)"
run_cli 0 plan -f "$E2E_DIR/v1.yaml" -o json
[ "$(json_get 'd["services"][0]["action"]' <<<"$OUT")" = create ] || fail "plan json action"
pass "plan shows a create and exits 2 with --detailed-exitcode"

run_cli 0 apply -f "$E2E_DIR/v1.yaml" -m "first" --author alice --wait
contains "$OUT" "Revision 1 applied"
contains "$OUT" "Rollout of revision 1 complete."
run_cli 0 plan -f "$E2E_DIR/v1.yaml" --detailed-exitcode
contains "$OUT" "No changes"
pass "apply --wait rolls out revision 1; plan then shows no changes"

run_cli 0 status
contains "$OUT" "hello    1         complete  2/2"
run_cli 0 status hello -o json
[ "$(json_get 'len(d["services"][0]["instances"])' <<<"$OUT")" = 2 ] || fail "two instances"
for port in $(json_get '" ".join(str(i["port"]) for i in d["services"][0]["instances"])' <<<"$OUT"); do
  curl -fsS "127.0.0.1:$port/" | grep -q '"version":"v1"' || fail "instance on $port is not v1"
done
run_cli 1 status nosuch
contains "$ERR" 'no service named "nosuch"'
pass "status lists healthy instances answering v1"

for _ in 1 2 3 4 5 6; do
  curl -fsS "127.0.0.1:$LISTEN_PORT/" | grep -q '"version":"v1"' || fail "the router on $LISTEN_PORT does not serve v1"
done
run_cli 0 traffic
contains "$OUT" "revision 1"
contains "$OUT" "hello"
run_cli 0 traffic hello -o json
[ "$(json_get 'sum(b["total"] for b in d["backends"]) >= 6' <<<"$OUT")" = True ] || fail "traffic counts"
pass "the router serves the service port and cairn traffic shows what it measured"

run_cli 0 plan -f "$E2E_DIR/v2.yaml"
contains "$OUT" "-/+ replace  hello (2 replicas)"
contains "$OUT" '~ env.HELLO_VERSION: "v1" -> "v2"'
run_cli 5 apply -f "$E2E_DIR/v2.yaml" --expect-revision 0
contains "$ERR" "the head is revision 1"
run_cli 0 apply -f "$E2E_DIR/v2.yaml" -m "ship v2" --author bob --expect-revision 1 --wait
contains "$OUT" "Revision 2 applied"
pass "a stale --expect-revision is refused with exit 5; the right one applies"

run_cli 0 history
contains "$OUT" "alice"
contains "$OUT" "ship v2"
run_cli 0 history -o json
[ "$(json_get 'd[1]["parent_hash"] == d[0]["hash"]' <<<"$OUT")" = True ] || fail "hash chain"
run_cli 0 diff 1 2
contains "$OUT" 'services.hello.env.HELLO_VERSION: "v1" -> "v2"'
run_cli 1 diff 1 9
contains "$ERR" "9"
pass "history is hash-chained; diff shows the field that changed"

run_cli 0 rollback 1 --wait
contains "$OUT" "Revision 3 applied"
run_cli 0 history -o json
[ "$(json_get 'd[2]["rollback_of"]' <<<"$OUT")" = 1 ] || fail "rollback_of"
run_cli 0 status -o json
for port in $(json_get '" ".join(str(i["port"]) for i in d["services"][0]["instances"])' <<<"$OUT"); do
  curl -fsS "127.0.0.1:$port/" | grep -q '"version":"v1"' || fail "rollback did not bring v1 back"
done
pass "rollback 1 records revision 3 as a rollback of 1 and v1 answers again"

run_cli 0 logs hello --tail 5
contains "$OUT" "hello-"
contains "$OUT" "listening on 127.0.0.1:"
run_cli 1 logs nosuch
pass "logs prefix each line with its instance"

echo "environment: e2e
services:
  hello:
    command: cairn-hello
    replica: 2" >"$E2E_DIR/bad.yaml"
run_cli 1 apply -f "$E2E_DIR/bad.yaml"
contains "$ERR" "bad.yaml:5:5"
contains "$ERR" 'did you mean "replicas"'
run_cli 0 history -o json
[ "$(json_get 'len(d)' <<<"$OUT")" = 3 ] || fail "a bad file must not add a revision"
pass "a bad file is refused with file:line:col and the head is unchanged"

run_cli 0 audit
contains "$OUT" "apply"
contains "$OUT" "rejected"
contains "$OUT" "alice"
run_cli 0 audit -o json --limit 2
[ "$(json_get 'len(d)' <<<"$OUT")" = 2 ] || fail "audit --limit"
pass "audit shows every state-changing call, also the refused ones"

run_cli 0 version
contains "$OUT" "server 0.1.0 at $CAIRN_ADDR"
pass "version shows client and server"
echo "cli workflow: all passed"
