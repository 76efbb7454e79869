# Bytes a new user can put in a file or a flag without meaning to, and replies a server should
# never send: each gets a sentence and exit 1, never an abort (issue 13, item 2; before, a 0xff
# in a comment ended the CLI with SIGABRT, exit 134).
source "$(dirname "$0")/lib.sh"

hello_spec "$E2E_DIR/good.yaml" v1 1
{ echo "environment: e2e"; printf '# caf\xc3\xa9 \xff\n'; tail -n +2 "$E2E_DIR/good.yaml"; } \
  >"$E2E_DIR/bad.yaml"

# Without a server: the file is checked before anything is sent.
for cmd in plan apply; do
  run_cli 1 "$cmd" -f "$E2E_DIR/bad.yaml"
  contains "$ERR" "$E2E_DIR/bad.yaml:2:8: the file is not valid UTF-8: byte 0xff"
done
pass "an invalid byte is named at its line and column, with or without a server"

start_server
run_cli 1 apply -f "$E2E_DIR/bad.yaml"
contains "$ERR" "bad.yaml:2:8"
printf 'environment: e2e\nservices: {}\n---\nenvironment: other\nservices: {}\n' >"$E2E_DIR/two.yaml"
run_cli 1 plan -f "$E2E_DIR/two.yaml"
contains "$ERR" "two.yaml:4:1"
contains "$ERR" "holds 2 YAML documents"
{ printf 'environment: e2e\nservices:\n  hello:\n    command: "cairn-\0hello"\n'; } >"$E2E_DIR/nul.yaml"
run_cli 1 plan -f "$E2E_DIR/nul.yaml"
contains "$ERR" "NUL byte"
run_cli 1 apply -f "$E2E_DIR/good.yaml" -m "$(printf 'bad \xff message')"
contains "$ERR" "not valid UTF-8"
run_cli 0 history
contains "$OUT" "No revisions yet."
pass "several documents, a NUL and a non-UTF-8 message are refused; nothing was stored"

# A server of another version (here: a fake one) whose status reply lacks what the CLI reads.
FAKE_PORT="$(free_port)"
python3 - "$FAKE_PORT" >"$E2E_DIR/fake.log" 2>&1 <<'PY' &
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"environment": "e2e", "head": {"number": "seven"}, "services": 3})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
stop_on_exit $! "$E2E_DIR/fake.log"
for _ in $(seq 1 50); do curl -fsS "127.0.0.1:$FAKE_PORT/" >/dev/null 2>&1 && break; sleep 0.1; done
run_cli 1 status --addr "127.0.0.1:$FAKE_PORT"
contains "$ERR" "the server's reply to GET /v1/status is not what this cairn"
contains "$ERR" "head.number is a string, not an integer"
pass "a reply of the wrong shape is an error naming the field, not an abort"
