# A hostile OCI layout given to `cairn image import`: a FIFO for index.json or for a blob, or a
# blob that is a symlink to a file outside the layout. Each import is refused at once with the
# path and what it is, and the server's image routes and /metrics keep answering. (A FIFO used
# to be opened like a file: the open never returned, and two such imports held both of the
# server's image threads for good, so `image ls`, /metrics and every apply naming an image hung.)
source "$(dirname "$0")/lib.sh"

mkdir -p "$E2E_DIR/app"
echo "hello" >"$E2E_DIR/app/hello.txt"
start_server
run_cli 0 image build "$E2E_DIR/app" --tag web:1 -o json
layer="$("$CAIRN" image inspect web:1 -o json | json_get 'd["layers"][0]["digest"]')"
run_cli 0 image export web:1 "$E2E_DIR/good"

fifo_index="$E2E_DIR/fifo-index"
cp -r "$E2E_DIR/good" "$fifo_index"
rm "$fifo_index/index.json"
mkfifo "$fifo_index/index.json"
# Two at once, as many as the server has threads for image work; bounded, since a wedged import
# never returns (timeout's 124 then fails the test).
set +e
timeout 60 "$CAIRN" image import "$fifo_index" --tag bad:1 >"$E2E_DIR/import1.out" 2>&1 &
first=$!
timeout 60 "$CAIRN" image import "$fifo_index" --tag bad:2 >"$E2E_DIR/import2.out" 2>&1 &
second=$!
wait "$first"; code1=$?
wait "$second"; code2=$?
set -e
[ "$code1" = 1 ] && [ "$code2" = 1 ] || fail "imports of a FIFO index.json exited $code1 and $code2, expected 1"
contains "$(cat "$E2E_DIR/import1.out")" "$fifo_index/index.json is a FIFO, not a regular file"
pass "a FIFO index.json is refused at once, naming it"

fifo_blob="$E2E_DIR/fifo-blob"
cp -r "$E2E_DIR/good" "$fifo_blob"
rm "$fifo_blob/blobs/sha256/${layer#sha256:}"
mkfifo "$fifo_blob/blobs/sha256/${layer#sha256:}"
run_cli 1 image import "$fifo_blob" --tag bad:3
contains "$ERR" "$fifo_blob/blobs/sha256/${layer#sha256:} is a FIFO, not a regular file"
pass "a FIFO blob is refused, naming it"

linked="$E2E_DIR/linked-blob"
cp -r "$E2E_DIR/good" "$linked"
mv "$linked/blobs/sha256/${layer#sha256:}" "$E2E_DIR/host-file"
ln -s "$E2E_DIR/host-file" "$linked/blobs/sha256/${layer#sha256:}"
run_cli 1 image import "$linked" --tag bad:4
contains "$ERR" "$linked/blobs/sha256/${layer#sha256:} is a symbolic link"
pass "a blob symlinked to a file outside the layout is refused"

run_cli 0 image ls -o json
[ "$(json_get 'sorted(i["tag"] for i in d)' <<<"$OUT")" = "['web:1']" ] || fail "ls: $OUT"
curl -fsS --max-time 10 -o "$E2E_DIR/scrape.txt" "http://$CAIRN_ADDR/metrics" || fail "GET /metrics failed"
contains "$(cat "$E2E_DIR/scrape.txt")" "cairn_store_blobs"
run_cli 0 image import "$E2E_DIR/good" --tag copy:1
contains "$OUT" "copy:1"
pass "image ls, /metrics and a good import still answer; no refused image was tagged"
