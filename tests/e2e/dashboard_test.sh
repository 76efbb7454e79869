# The dashboard as a person sees it, in a real headless Chromium (Debian's chromium, driven by
# playwright-core from tests/browser/): the page served at /ui shows hello healthy, follows an
# apply made from the command line without a reload, shows a revision's field-level diff, and
# drives a canary (step, weight, Pause, Resume, Promote) whose judged step the card plots: one
# point per analysis interval on the success-rate and p99 charts, with the verdicts and the
# threshold lines. A screenshot of the canary in progress is kept under the build directory
# ($ARTIFACT_DIR) and its path printed.
source "$(dirname "$0")/lib.sh"

BROWSER_DIR="$SOURCE_DIR/tests/browser"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] || fail "no $CHROMIUM: scripts/install-deps installs Debian's chromium"
[ -f "$BROWSER_DIR/node_modules/playwright-core/package.json" ] \
  || fail "no playwright-core in $BROWSER_DIR/node_modules: scripts/install-deps installs it"
# The build tree outlives the test; $CAIRN is <build>/bin/cairn.
ARTIFACT_DIR="${ARTIFACT_DIR:-$(dirname "$(dirname "$CAIRN")")/test-artifacts}"
mkdir -p "$ARTIFACT_DIR"
SCREENSHOT="$ARTIFACT_DIR/dashboard.png"
rm -f "$SCREENSHOT" "${SCREENSHOT%.png}-final.png"

hello_spec "$E2E_DIR/v1.yaml" v1
hello_spec "$E2E_DIR/v2.yaml" v2
cat >"$E2E_DIR/v3-canary.yaml" <<YAML
environment: e2e
services:
  hello:
    command: cairn-hello
    replicas: 2
    env: { HELLO_VERSION: v3 }
    ports:
      http: { listen: $LISTEN_PORT, protocol: http }
    health:
      http: { path: /healthz, interval: 200ms, timeout: 150ms }
    strategy:
      canary:
        # Three judged intervals of 2 s: long enough that the page shows the chart growing;
        # thresholds loose enough that a loaded machine does not fail cairn-hello.
        steps:
          - weight: 50
          - analysis: { interval: 2s, count: 3, min_requests: 5, failure_limit: 1,
                        success_rate: ">= 95%", latency_p99: "<= 2s" }
          - pause: {}
    stop_timeout: 3s
YAML

start_server
run_cli 0 apply -f "$E2E_DIR/v1.yaml" -m "hello v1" --author alice --wait
BASE="http://$CAIRN_ADDR"

# The files themselves: a redirect to /ui/, content types, no-cache, and a 304 for a known ETag.
headers="$(curl -sS -D - -o /dev/null "$BASE/ui")"
contains "$headers" "HTTP/1.1 302"
contains "$headers" "Location: /ui/"
headers="$(curl -sS -D - -o /dev/null "$BASE/ui/app.js")"
contains "$headers" "Content-Type: text/javascript; charset=utf-8"
contains "$headers" "Cache-Control: no-cache"
etag="$(sed -n 's/^ETag: \(.*\)\r$/\1/p' <<<"$headers")"
[ -n "$etag" ] || fail "app.js has no ETag"
code="$(curl -sS -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$BASE/ui/app.js")"
[ "$code" = 304 ] || fail "If-None-Match with the ETag answered $code, expected 304"
pass "/ui serves the embedded files with their content types, no-cache and ETags"

# With the server's event stream the page must be live; without one (older servers) it polls.
EXPECT_STREAM=0
# (curl ends the open stream after a second, exit 28: only its headers count.)
if { curl -sS -m 1 -D - -o /dev/null "$BASE/v1/events/stream?after=0" 2>/dev/null || true; } \
    | grep -qi '^Content-Type: text/event-stream'; then
  EXPECT_STREAM=1
fi

start=$SECONDS
DASHBOARD_URL="$BASE" SPEC_V2="$E2E_DIR/v2.yaml" SPEC_CANARY="$E2E_DIR/v3-canary.yaml" \
  LISTEN_PORT="$LISTEN_PORT" EXPECT_STREAM="$EXPECT_STREAM" SCREENSHOT="$SCREENSHOT" CHROMIUM="$CHROMIUM" \
  timeout 120 node "$BROWSER_DIR/dashboard.spec.mjs" || fail "the browser run failed"
[ -s "$SCREENSHOT" ] || fail "no screenshot at $SCREENSHOT"
echo "dashboard: browser run took $((SECONDS - start)) s; screenshot: $SCREENSHOT"
echo "dashboard: all passed"
