# Shared helpers for cairn's end-to-end tests: each test drives the real `cairn` binary as a
# user would, against a server on a free loopback port with its own temporary data dir.
# Requires CAIRN and HELLO (absolute paths of the built binaries), set by CTest.
set -euo pipefail

: "${CAIRN:?CAIRN must point at the cairn binary}"
: "${HELLO:?HELLO must point at the cairn-hello binary}"
export PATH="$(dirname "$HELLO"):$PATH"
export NO_COLOR=1

E2E_DIR="$(mktemp -d /tmp/cairn-e2e.XXXXXX)"
DATA_DIR="$E2E_DIR/data"
SERVER_PID=""
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export CAIRN_ADDR="127.0.0.1:$(free_port)"
LISTEN_PORT="$(free_port)"  # the service port cairn's router serves

# Every process whose environment names our data dir: the instances cairn started.
instance_pids() {
  grep -l -s -a "CAIRN_DATA_DIR=$DATA_DIR" /proc/[0-9]*/environ 2>/dev/null \
    | sed 's#/proc/\([0-9]*\)/environ#\1#' || true
}

# Other processes a test starts beside cairn (Prometheus, a webhook receiver, a `--watch`):
# `stop_on_exit PID [LOG]` has cleanup stop them, and show LOG's tail when the test fails.
EXTRA_PIDS=()
EXTRA_LOGS=()
stop_on_exit() {
  EXTRA_PIDS+=("$1")
  [ -n "${2:-}" ] && EXTRA_LOGS+=("$2")
  return 0
}
stop_extra_processes() {
  local pid
  for pid in "${EXTRA_PIDS[@]}"; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  return 0
}

# alert_receiver MODE PORT FILE: a webhook receiver on loopback, stopped on exit. "record"
# appends every body as one JSON line to FILE and answers 200 ("record-500-first": 500 to the
# first POST, to see a retry); "hang" reads each request and never answers.
alert_receiver() {
  python3 - "$@" <<'PY' &
import http.server, json, socket, sys, threading, time
mode, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if mode == "hang":
    srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port)); srv.listen(16)
    held = []
    while True:
        conn, _ = srv.accept(); held.append(conn)
        conn.recv(65536)
        with open(path, "a") as f: f.write("request\n")
count = [0]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        count[0] += 1
        with open(path, "a") as f: f.write(json.dumps(json.loads(body)) + "\n")
        self.send_response(500 if mode == "record-500-first" and count[0] == 1 else 200)
        self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY
  stop_on_exit $!
}

# wait_for_json_line FILE PY_EXPR [N] [TRIES]: until N (default 1) JSON lines `a` of FILE satisfy
# PY_EXPR, trying TRIES times (default 200: 20 s and more).
wait_for_json_line() {
  for _ in $(seq 1 "${4:-200}"); do
    python3 - "$1" "$2" "${3:-1}" <<'PY' && return 0
import json, os, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()] if os.path.exists(sys.argv[1]) else []
sys.exit(0 if sum(1 for a in lines if eval(sys.argv[2], {"a": a})) >= int(sys.argv[3]) else 1)
PY
    sleep 0.1
  done
  echo "received:"; cat "$1" 2>/dev/null || true
  fail "no notification matching: $2"
}

# wait_until TRIES COMMAND...: runs COMMAND every 0.1 s until it succeeds, at most TRIES times;
# false when it never did (the caller says what is missing). For a condition the test can
# see (a line in a file, an answer), instead of a sleep that "should be long enough".
wait_until() {
  local tries=$1
  shift
  for _ in $(seq 1 "$tries"); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}

# wait_gone PID: until PID has exited (a zombie counts: it holds no lock, port or file any
# more), at most 10 s and more; fails after that.
wait_gone() {
  for _ in $(seq 1 100); do
    [ -e "/proc/$1" ] || return 0
    [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" = Z ] && return 0
    sleep 0.1
  done
  fail "process $1 is still running"
}

# start_prometheus PORT [JOB TARGET]: Debian's Prometheus on loopback scraping TARGET's
# /metrics every second as JOB (a config written on the first call), with its own data in
# $E2E_DIR/tsdb (kept across a restart), stopped on exit; its pid in $PROM_PID.
start_prometheus() {
  command -v prometheus >/dev/null || fail "prometheus is not installed (scripts/install-deps installs it)"
  if [ $# -ge 3 ]; then
    cat >"$E2E_DIR/prometheus.yml" <<YAML
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: $2
    metrics_path: /metrics
    static_configs: [{ targets: ["$3"] }]
YAML
  fi
  prometheus --config.file="$E2E_DIR/prometheus.yml" --storage.tsdb.path="$E2E_DIR/tsdb" \
    --web.listen-address="127.0.0.1:$1" >>"$E2E_DIR/prometheus.log" 2>&1 &
  PROM_PID=$!
  stop_on_exit "$PROM_PID" "$E2E_DIR/prometheus.log"
}

cleanup() {
  local code=$?
  set +e
  stop_extra_processes
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill -KILL "$SERVER_PID" 2>/dev/null || true; fi
  for pid in $(instance_pids); do kill -KILL "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; done
  if [ $code -ne 0 ]; then
    local log
    for log in "${EXTRA_LOGS[@]}" "$E2E_DIR/server.log"; do
      [ -f "$log" ] && { echo "--- $(basename "$log") ---"; tail -n 50 "$log"; }
    done
  fi
  rm -rf "$E2E_DIR"
  exit $code
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# start_server [SERVER ARGS...]: a server on our data dir and port; its output is appended to
# server.log, so a restarted server's lines follow the first one's.
start_server() {
  "$CAIRN" server --data-dir "$DATA_DIR" --addr "$CAIRN_ADDR" "$@" >>"$E2E_DIR/server.log" 2>&1 &
  SERVER_PID=$!
  disown "$SERVER_PID"
  for _ in $(seq 1 100); do
    "$CAIRN" version -o json 2>/dev/null | grep -q '"server": "' && return 0
    sleep 0.1
  done
  fail "server did not start"
}

# run_cli EXPECTED_EXIT ARGS...: runs cairn, captures stdout/stderr in $OUT/$ERR.
run_cli() {
  local want=$1; shift
  set +e
  OUT="$("$CAIRN" "$@" 2>"$E2E_DIR/stderr")"
  local got=$?
  set -e
  ERR="$(cat "$E2E_DIR/stderr")"
  if [ "$got" != "$want" ]; then
    echo "stdout: $OUT"; echo "stderr: $ERR"
    fail "cairn $* exited $got, expected $want"
  fi
}

contains() { grep -qF -- "$2" <<<"$1" || { echo "$1"; fail "output lacks: $2"; }; }

# json_get EXPR: evaluates a Python expression over the JSON on stdin, bound to `d`.
json_get() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# hello_spec FILE VERSION [REPLICAS] [EXTRA ENV YAML]; $PROGRESS_DEADLINE (20s by default)
# bounds each rolling replace.
hello_spec() {
  cat >"$1" <<YAML
environment: e2e
services:
  hello:
    command: cairn-hello
    replicas: ${3:-2}
    env: { HELLO_VERSION: $2 ${4:-} }
    ports:
      http: { listen: $LISTEN_PORT, protocol: http }
    health:
      http: { path: /healthz, interval: 200ms, timeout: 150ms }
    strategy:
      rolling: { max_surge: 1, max_unavailable: 0, progress_deadline: ${PROGRESS_DEADLINE:-20s} }
    stop_timeout: 3s
YAML
}

# web_spec FILE VERSION STRATEGY_YAML [HEALTH_EXTRA]: service web, two cairn-hello instances
# saying VERSION, behind the router port, with STRATEGY_YAML (indented six spaces) as its
# strategy; HEALTH_EXTRA is added to the http check (", healthy_after: 5").
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
      http: { path: /healthz, interval: 200ms, timeout: 150ms${4:-} }
    strategy:
$3
    stop_timeout: 3s
YAML
}

# versions_seen N: the distinct versions N requests through the router port answered with.
versions_seen() {
  for _ in $(seq 1 "$1"); do
    curl -fsS --max-time 2 "127.0.0.1:$LISTEN_PORT/" | json_get 'd["version"]' || echo error
  done | sort -u | tr '\n' ' '
}

# watch_rollout EXPECTED_EXIT: `cairn rollout status web --watch` until the rollout ends, its
# output in $E2E_DIR/watch.out.
watch_rollout() {
  set +e
  timeout 90 "$CAIRN" rollout status web --watch --timeout 60s >"$E2E_DIR/watch.out" 2>&1
  local code=$?
  set -e
  [ "$code" = "$1" ] || { cat "$E2E_DIR/watch.out"; fail "rollout status --watch exited $code, expected $1"; }
}
