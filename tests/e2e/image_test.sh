# `cairn image` as a user drives it: build a directory into an image (twice: same digest), list,
# inspect, tag, export to an OCI layout that skopeo reads, import it back under another name,
# verify the store, find a corrupted blob, remove tags and garbage-collect.
source "$(dirname "$0")/lib.sh"

mkdir -p "$E2E_DIR/app/bin" "$E2E_DIR/app/etc"
printf '#!/bin/sh\necho hello\n' >"$E2E_DIR/app/bin/hello"
chmod +x "$E2E_DIR/app/bin/hello"
echo "greeting=hi" >"$E2E_DIR/app/etc/app.conf"
ln -s ../etc/app.conf "$E2E_DIR/app/bin/conf"

start_server
run_cli 0 image ls
contains "$OUT" "No images yet"

run_cli 0 image build "$E2E_DIR/app" --tag web:1 --entrypoint /bin/hello -e MODE=prod -w /
contains "$OUT" "Built web:1 sha256:"
first="$(awk '{print $3}' <<<"$OUT")"
touch -d '2001-01-01' "$E2E_DIR/app/etc/app.conf"  # times and owners do not change a digest
run_cli 0 image build "$E2E_DIR/app" --tag web:1b --entrypoint /bin/hello -e MODE=prod -w / -o json
[ "$(json_get 'd["digest"]' <<<"$OUT")" = "$first" ] || fail "the same directory must give the same digest"
pass "a directory builds deterministically: $first"

run_cli 0 image ls -o json
[ "$(json_get 'sorted(i["tag"] for i in d)' <<<"$OUT")" = "['web:1', 'web:1b']" ] || fail "ls: $OUT"
run_cli 0 image inspect web:1
contains "$OUT" "Digest:      $first"
contains "$OUT" "Entrypoint:  /bin/hello"
contains "$OUT" "Env:         MODE=prod"
run_cli 0 image tag web:1 web:stable
run_cli 0 image inspect web:stable -o json
[ "$(json_get 'd["digest"]' <<<"$OUT")" = "$first" ] || fail "tag"
pass "ls, inspect and tag"

run_cli 0 image export web:1 "$E2E_DIR/layout"
contains "$OUT" "to $E2E_DIR/layout as an OCI layout"
if command -v skopeo >/dev/null; then
  digest="$(skopeo inspect --format '{{.Digest}}' "oci:$E2E_DIR/layout:web:1")"
  [ "$digest" = "$first" ] || fail "skopeo reads back $digest, not $first"
fi
run_cli 0 image import "$E2E_DIR/layout" --tag copy:1
contains "$OUT" "copy:1 $first"
pass "export is read by skopeo; import brings it back under another name"

run_cli 1 image import "$E2E_DIR/app"
contains "$ERR" "error:"
run_cli 1 image inspect nosuch:1
pass "bad input is refused with a reason"

run_cli 0 image verify
contains "$OUT" "every one intact"
layer="$(cairn_layer() { "$CAIRN" image inspect web:1 -o json | json_get 'd["layers"][0]["digest"]'; }; cairn_layer)"
blob="$DATA_DIR/images/blobs/sha256/${layer#sha256:}"
chmod u+w "$blob" 2>/dev/null || true
printf 'x' | dd of="$blob" bs=1 seek=10 conv=notrunc status=none
run_cli 6 image verify
contains "$ERR" "${layer}"
contains "$ERR" "corrupt"
pass "verify names the corrupted layer and exits 6"

run_cli 0 image rm web:1b
contains "$OUT" "Removed tag web:1b"
run_cli 0 image gc
contains "$OUT" "Removed 0 blobs"  # everything is still tagged (web:1, web:stable, copy:1)
echo "image: all passed"
