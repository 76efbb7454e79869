# Images end to end: two versions of the demo service's image are built into cairn's store, run
# under runc with a read-only root (the instance's own attempt to write to / fails, in its
# log), and replaced by a rolling update behind the router without a failed request; the plan
# names the digest that replaces which; a root changed on disk is found, its instances replaced
# and CairnIntegrityDrift sent to a webhook receiver (then resolved); gc keeps what the
# history needs after the tags go.
source "$(dirname "$0")/lib.sh"
command -v runc >/dev/null || fail "runc is not installed (scripts/install-deps installs it)"
[ -x /bin/busybox ] || fail "busybox-static is not installed (scripts/install-deps installs it)"

# make_image DIR: the demo service (cairn-hello) with the shared libraries it links, and
# busybox for the entrypoint's shell; which version it says comes from the image's env.
make_image() {
  mkdir -p "$1/bin"
  cp "$HELLO" "$1/bin/cairn-hello"
  for lib in $(ldd "$HELLO" | grep -o '/[^ ]*'); do
    mkdir -p "$1$(dirname "$lib")"
    cp -L "$lib" "$1$lib"
  done
  cp /bin/busybox "$1/bin/busybox"
  for applet in sh touch echo; do ln -sf busybox "$1/bin/$applet"; done
}
make_image "$E2E_DIR/img"
ENTRY='["/bin/sh","-c","touch /written-by-instance || echo root is read-only; exec /bin/cairn-hello"]'
version_seen() { curl -fsS --max-time 2 "127.0.0.1:$LISTEN_PORT/" | json_get 'd["version"]'; }

image_spec() {  # FILE IMAGE: service web running IMAGE under runc
  cat >"$1" <<YAML
environment: e2e
services:
  web:
    image: $2
    replicas: 2
    ports:
      http: { listen: $LISTEN_PORT, protocol: http }
    health:
      http: { path: /healthz, interval: 200ms, timeout: 150ms }
    resources: { memory: 64Mi, cpu: 0.5, pids: 64 }
    driver: oci
    strategy:
      rolling: { max_surge: 1, max_unavailable: 0, progress_deadline: 30s }
    stop_timeout: 2s
YAML
}
image_spec "$E2E_DIR/v1.yaml" web:1
image_spec "$E2E_DIR/v2.yaml" web:2

# Integrity drift pages someone: a webhook receiver gets CairnIntegrityDrift (see below).
ALERT_PORT="$(free_port)"
alert_receiver record "$ALERT_PORT" "$E2E_DIR/alerts.jsonl"
start_server --alert-webhook "http://127.0.0.1:$ALERT_PORT/hook"
run_cli 0 image build "$E2E_DIR/img" --tag web:1 --entrypoint "$ENTRY" -e HELLO_VERSION=v1
d1="$(awk '{print $3}' <<<"$OUT")"
run_cli 0 image build "$E2E_DIR/img" --tag web:2 --entrypoint "$ENTRY" -e HELLO_VERSION=v2
d2="$(awk '{print $3}' <<<"$OUT")"

image_spec "$E2E_DIR/missing.yaml" web:9
run_cli 1 apply -f "$E2E_DIR/missing.yaml" -m "no such image" --author alice
contains "$ERR" "services.web.image:"
contains "$ERR" "cairn image ls"
pass "an image missing from the store is refused at apply"

run_cli 0 apply -f "$E2E_DIR/v1.yaml" -m "v1" --author alice --wait
[ "$(version_seen)" = v1 ] || fail "v1 does not answer through the router"
OUT="$("$CAIRN" status -o json)"
[ "$(json_get 'len([i for i in d["services"][0]["instances"] if i["state"] == "healthy"])' <<<"$OUT")" = 2 ] \
  || fail "two healthy v1 instances expected: $OUT"
id="$(json_get 'd["services"][0]["instances"][0]["id"]' <<<"$OUT")"
for _ in $(seq 1 50); do grep -q "root is read-only" "$DATA_DIR/logs/$id.log" 2>/dev/null && break; sleep 0.1; done
grep -q "Read-only file system" "$DATA_DIR/logs/$id.log" || { cat "$DATA_DIR/logs/$id.log"; fail "the instance could write to its root"; }
[ ! -e "$DATA_DIR/rootfs/${d1#sha256:}/written-by-instance" ] || fail "the shared rootfs was written"
pass "v1 runs under runc: served through the router, its root read-only"

run_cli 0 plan -f "$E2E_DIR/v2.yaml"
contains "$OUT" "$d2"
pass "plan names the new digest"

set +e
(
  ok=0; bad=0
  for _ in $(seq 1 3000); do
    [ -f "$E2E_DIR/stop" ] && break
    if curl -fsS --max-time 2 "127.0.0.1:$LISTEN_PORT/" >/dev/null 2>&1; then ok=$((ok+1)); else bad=$((bad+1)); fi
  done
  echo "$ok $bad" >"$E2E_DIR/load.out"
) &
LOAD_PID=$!
set -e
run_cli 0 apply -f "$E2E_DIR/v2.yaml" -m "v2" --author alice --wait
touch "$E2E_DIR/stop"; wait "$LOAD_PID"
read -r ok bad <"$E2E_DIR/load.out"
[ "$bad" = 0 ] || fail "$bad of $((ok+bad)) requests failed during the rolling replace"
[ "$(version_seen)" = v2 ] || fail "v2 does not answer after the replace"
run_cli 0 history -o json
[ "$(json_get 'd[-1]["number"]' <<<"$OUT")" = 2 ] || fail "history"
pass "rolling replace web:1 -> web:2 under load: $ok requests, 0 failed"

# Integrity drift: someone with root writes into the image's shared root, which every instance
# runs on. `cairn verify` finds it, sets the tree aside and replaces the instances from a fresh
# unpack of the store's digest-checked blobs.
root="$DATA_DIR/rootfs/${d2#sha256:}"
chmod u+w "$root/bin"
echo 'echo owned' >"$root/bin/evil"
set +e; OUT="$("$CAIRN" verify)"; code=$?; set -e
[ "$code" = 6 ] || { echo "$OUT"; fail "cairn verify exited $code on a drifted root, expected 6"; }
contains "$OUT" "$d2: DRIFTED — 2 instance(s) being replaced"
contains "$OUT" "changed /bin (mode 0555 -> 0755)"
contains "$OUT" "added /bin/evil"
contains "$OUT" "the changed tree is kept at $DATA_DIR/rootfs/${d2#sha256:}.drifted-"
for _ in $(seq 1 150); do
  OUT="$("$CAIRN" status -o json)"
  if [ "$(json_get 'd["services"][0]["rollout"]' <<<"$OUT")" = complete ] &&
     [ "$(json_get 'd["services"][0]["drift_replaced"]' <<<"$OUT")" = 2 ] &&
     [ "$(version_seen 2>/dev/null)" = v2 ]; then break; fi
  sleep 0.2
done
[ "$(version_seen)" = v2 ] || fail "the replaced instances do not serve the built v2"
[ ! -e "$DATA_DIR/rootfs/${d2#sha256:}/bin/evil" ] || fail "the fresh root still has the planted file"
[ "$(json_get 'd["services"][0]["drift_replaced"]' <<<"$OUT")" = 2 ] || fail "status does not count the replaced instances: $OUT"
run_cli 0 status
contains "$OUT" "2 instance(s) replaced because their image root changed"
run_cli 0 verify
contains "$OUT" "$d2: intact"
pass "a root changed under running instances is found by cairn verify and they are replaced from the store"
wait_for_json_line "$E2E_DIR/alerts.jsonl" 'a["status"] == "firing" and a["commonLabels"]["alertname"] == "CairnIntegrityDrift" and a["commonLabels"]["service"] == "web"'
wait_for_json_line "$E2E_DIR/alerts.jsonl" 'a["status"] == "resolved" and a["commonLabels"]["alertname"] == "CairnIntegrityDrift"'
pass "the drift fired CairnIntegrityDrift at the receiver, resolved once both instances were replaced"

run_cli 0 image rm web:1
run_cli 0 image rm web:2
run_cli 0 image gc
run_cli 0 image inspect "$d1"
contains "$OUT" "Digest:      $d1"
pass "gc keeps the images the history needs after their tags are gone"
echo "oci_rollout: all passed"
