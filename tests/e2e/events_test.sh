# Events as an operator follows them: `cairn events` lists what happened with its figures,
# `cairn events -f` follows the server's event stream live and carries on across a server
# killed with -9 and restarted, without losing or repeating an event; the history itself
# survives the restart (the state store's journal), and the SSE endpoint resumes from
# Last-Event-ID.
source "$(dirname "$0")/lib.sh"

hello_spec "$E2E_DIR/v1.yaml" v1 2
hello_spec "$E2E_DIR/v2.yaml" v2 2
hello_spec "$E2E_DIR/v3.yaml" v3 2
hello_spec "$E2E_DIR/v4.yaml" v4 2 ", HELLO_FAIL_RATE: '1'"  # every GET / answers 500

start_server
run_cli 0 apply -f "$E2E_DIR/v1.yaml" -m "first" --author alice --wait

run_cli 0 events
contains "$OUT" "revision.applied"
contains "$OUT" "revision 1 applied by alice"
contains "$OUT" "instance.started"
contains "$OUT" "instance.healthy"
run_cli 0 events -o json
[ "$(head -1 <<<"$OUT" | json_get 'd["data"]["revision"]')" = 1 ] || fail "revision.applied data: $OUT"
[ "$(head -1 <<<"$OUT" | json_get 'd["data"]["author"]')" = alice ] || fail "author in data"
run_cli 0 events --last 2
[ "$(wc -l <<<"$OUT")" = 2 ] || fail "--last 2 printed: $OUT"
run_cli 0 events nosuch
[ -z "$OUT" ] || fail "a service with no events prints nothing: $OUT"
pass "cairn events lists what happened, with figures in -o json"

# Follow from the newest event on, in the background, as an operator's terminal would. From
# its number (--after), not from whatever is newest when the follower gets to ask, so the
# follower cannot miss what the apply below adds however late it connects.
FOLLOW_OUT="$E2E_DIR/follow.out"
FROM_SEQ="$("$CAIRN" events --last 1 -o json | json_get 'd["seq"]')"
"$CAIRN" events -f -o json --after "$FROM_SEQ" >"$FOLLOW_OUT" 2>"$E2E_DIR/follow.err" &
stop_on_exit $!
run_cli 0 apply -f "$E2E_DIR/v2.yaml" -m "second" --author bob --wait
wait_until 300 grep -q '"revision 2 applied' "$FOLLOW_OUT" || true
grep -q '"type":"revision.applied"' "$FOLLOW_OUT" || { cat "$FOLLOW_OUT"; fail "follow missed revision 2"; }
grep -q '"type":"instance.stopped"' "$FOLLOW_OUT" || fail "follow missed the old instances stopping"
REPLACED="$(python3 -c 'import json,sys; print(sum(1 for l in sys.stdin if l.strip() and (e := json.loads(l))["type"] == "instance.replaced" and e["data"]["replaced_by"] == 2))' <"$FOLLOW_OUT")"
[ "$REPLACED" = 2 ] || { cat "$FOLLOW_OUT"; fail "expected 2 instance.replaced events naming revision 2, got $REPLACED"; }
grep -q '"revision 1 applied' "$FOLLOW_OUT" && fail "follow from now repeated history"
pass "cairn events -f prints events as they happen"

LAST_SEQ="$("$CAIRN" events --last 1 -o json | json_get 'd["seq"]')"
BEFORE="$("$CAIRN" events --last 1000 -o json | wc -l)"
kill -KILL "$SERVER_PID"
wait_gone "$SERVER_PID"
start_server
run_cli 0 events --last 1000 -o json
AFTER_LINES="$(grep -c '"seq"' <<<"$OUT")"
[ "$AFTER_LINES" -ge "$BEFORE" ] || fail "events lost over kill -9: $BEFORE before, $AFTER_LINES after"
grep -q '"revision 2 applied by bob' <<<"$OUT" || fail "revision 2's event lost"
pass "the history survives kill -9 and a restart"

run_cli 0 apply -f "$E2E_DIR/v3.yaml" -m "third" --author carol --wait
wait_until 300 grep -q '"revision 3 applied' "$FOLLOW_OUT" || true
grep -q '"revision 3 applied' "$FOLLOW_OUT" || { cat "$FOLLOW_OUT" "$E2E_DIR/follow.err"; fail "follow did not carry on after the restart"; }
grep -q "reconnected" "$E2E_DIR/follow.err" || fail "follow did not say it reconnected"
DUPLICATES="$(json_get_lines() { python3 -c 'import json,sys; [print(json.loads(l)["seq"]) for l in sys.stdin if l.strip()]'; }; json_get_lines <"$FOLLOW_OUT" | sort | uniq -d)"
[ -z "$DUPLICATES" ] || fail "follow repeated events: $DUPLICATES"
NEW_SEQ="$(grep '"revision 3 applied' "$FOLLOW_OUT" | json_get 'd["seq"]')"
[ "$NEW_SEQ" -gt "$LAST_SEQ" ] || fail "numbering restarted: $NEW_SEQ after $LAST_SEQ"
pass "cairn events -f reconnects after a restart and numbering continues, no event repeated"

# The raw stream: SSE frames, resumed from Last-Event-ID.
# Read until the history's revision.applied frame has come (the frames before it came first),
# not for a fixed time.
curl -sS -N --max-time 60 -H "Last-Event-ID: $LAST_SEQ" "http://$CAIRN_ADDR/v1/events/stream" \
  >"$E2E_DIR/sse.out" 2>&1 &
SSE_PID=$!
stop_on_exit "$SSE_PID"
wait_until 300 grep -q '^event: revision.applied$' "$E2E_DIR/sse.out" || true
kill "$SSE_PID" 2>/dev/null || true
SSE="$(cat "$E2E_DIR/sse.out")"
grep -q "^id: $((LAST_SEQ + 1))$" <<<"$SSE" || { echo "$SSE" | head; fail "stream did not resume after $LAST_SEQ"; }
grep -q "^id: $LAST_SEQ$" <<<"$SSE" && fail "stream repeated the Last-Event-ID event"
grep -q '^event: revision.applied$' <<<"$SSE" || fail "stream lacks event names"
pass "GET /v1/events/stream resumes from Last-Event-ID"

# An instance that fails every request is ejected by the router; the controller reads the
# router's counters once a second and says so.
run_cli 0 apply -f "$E2E_DIR/v4.yaml" -m "fails every request" --author dave --wait
for _ in $(seq 1 60); do curl -sS -o /dev/null --max-time 2 "127.0.0.1:$LISTEN_PORT/" || true; done
ejected_event() { "$CAIRN" events hello --last 20 | grep -q "instance.ejected"; }
wait_until 150 ejected_event || true
run_cli 0 events hello --last 20 -o json
EJECTED="$(grep '"type":"instance.ejected"' <<<"$OUT" | head -1)"
[ -n "$EJECTED" ] || { echo "$OUT"; fail "no instance.ejected event after 60 failed requests"; }
[ "$(json_get 'd["data"]["version"]' <<<"$EJECTED")" = "revision 4" ] || fail "ejected: $EJECTED"
[ "$(json_get 'd["data"]["total"] >= 1' <<<"$EJECTED")" = True ] || fail "ejected: $EJECTED"
contains "$(json_get 'd["message"]' <<<"$EJECTED")" "the router ejected instance hello-"
pass "an instance the router ejects is an instance.ejected event"
