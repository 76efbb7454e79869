# Limits a user can hit are refused at plan and apply with file:line:col, not at every start of
# an instance (issue 13, item 8: an env value past execve's MAX_ARG_STRLEN used to be stored and
# then fail "Argument list too long" forever); what the file holds is echoed escaped and cut
# (item 11: an ESC byte in a field name reached the terminal raw).
source "$(dirname "$0")/lib.sh"

start_server
hello_spec "$E2E_DIR/good.yaml" v1 1
run_cli 0 apply -f "$E2E_DIR/good.yaml" -m "first"
revisions() { "$CAIRN" history -o json | json_get 'len(d)'; }
[ "$(revisions)" = 1 ] || fail "expected one revision after the first apply"

# "BIG=" + 140,000 bytes is past the 131,071 bytes execve takes for one variable.
hello_spec "$E2E_DIR/big.yaml" v2 1 ", BIG: $(head -c 140000 /dev/zero | tr '\0' x)"
for cmd in plan apply; do
  run_cli 1 "$cmd" -f "$E2E_DIR/big.yaml"
  contains "$ERR" "big.yaml:6:37: services.hello.env.BIG: the variable BIG=... is 140004 bytes long; execve takes at most 131071 bytes"
  [ "${#ERR}" -lt 1000 ] || fail "the error echoes the value: ${#ERR} bytes"
done
[ "$(revisions)" = 1 ] || fail "a refused apply stored a revision"
pass "an env value past MAX_ARG_STRLEN is refused at its line and column; nothing was stored"

# An ESC sequence in a field name (clear screen, red) and a bell in a value.
{ head -n 5 "$E2E_DIR/good.yaml"; printf '    \033[2J\033[31mreplicaz: 1\n    stop_timeout: "\a\033]0;owned"\n'; } \
  >"$E2E_DIR/esc.yaml"
run_cli 1 plan -f "$E2E_DIR/esc.yaml"
if grep -q $'\033\|\a' <<<"$ERR$OUT"; then fail "a raw control byte reached the output: $(od -c <<<"$ERR" | head)"; fi
contains "$ERR" 'esc.yaml:6:5: services.hello."\e[2J\e[31mreplicaz": unknown field "\e[2J\e[31mreplicaz"'
contains "$ERR" 'esc.yaml:7:19: services.hello.stop_timeout: invalid value "\x07\e]0;owned"'
[ "$(revisions)" = 1 ] || fail "a refused plan stored a revision"
pass "control bytes in a field name and a value are shown escaped"

# Nesting past yaml-cpp's bound, and a file past 4 MiB (refused by the CLI before it is sent).
head -c 10000 /dev/zero | tr '\0' '[' >"$E2E_DIR/deep.yaml"
run_cli 1 plan -f "$E2E_DIR/deep.yaml"
contains "$ERR" "deep.yaml:1:500: the YAML nests mappings and lists more than 500 levels deep"
{ cat "$E2E_DIR/good.yaml"; head -c 5000000 /dev/zero | tr '\0' '#'; } >"$E2E_DIR/huge.yaml"
run_cli 1 apply -f "$E2E_DIR/huge.yaml"
contains "$ERR" "huge.yaml: the environment file is 50"
contains "$ERR" "bytes; at most 4194304 (4 MiB) are accepted"
[ "$(revisions)" = 1 ] || fail "a refused apply stored a revision"
pass "too deep and too big are said in words, with where"
