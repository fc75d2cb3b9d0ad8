#!/bin/sh
# goroutines_public.sh: every public goroutine dump in ../shared parses with
# no goroutine lost (header lines or the debug=1 total) and no line left
# unexplained; the gostackparse golden files match frame by frame.
. "$(dirname "$0")/lib.inc"
R=$ROOTLINE
DUMPS="$RL_SHARED_DIR/goroutine-dumps-public"
n=0
for f in $(find "$DUMPS" -name '*.txt' | sort); do
  n=$((n + 1))
  name=${f#"$DUMPS"/}
  if grep -q '^goroutine profile: total' "$f"; then
    want=$(sed -n 's/^goroutine profile: total \([0-9]*\).*/\1/p' "$f")
  else
    want=$(grep -c '^goroutine [0-9][0-9]* .*\]:$' "$f")
  fi
  if $R goroutines analyze --json "$f" >"$WORK/g.json" 2>"$WORK/err"; then
    got=$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["goroutines"], d["unknown_lines"])' "$WORK/g.json")
    check "$name: $want goroutines, none lost, no unknown line (got: $got)" test "$got" = "$want 0"
  else
    bad "$name: analyze failed: $(cat "$WORK/err")"
  fi
done
check "all public dumps were found ($n files)" test "$n" -ge 12
check "gostackparse golden files match frame by frame" $PY "$(dirname "$0")/golden_goroutines.py" "$R" "$DUMPS"

# Go 1.21+ creator goroutine ids and tracebackancestors blocks
$R goroutines analyze --detail "$DUMPS/goleak/http.tracebackancestors.txt" >"$WORK/anc.json"
check "tracebackancestors: ancestors are recorded" $PY -c '
import json,sys; d=json.load(open(sys.argv[1]))
assert any(g["ancestors"] for g in d["goroutine_list"]), d["goroutine_list"]' "$WORK/anc.json"
$R goroutines analyze --detail "$DUMPS/goleak/http.txt" >"$WORK/c.json"
check "Go 1.21 form: 'created by F in goroutine N' gives the creator id" $PY -c '
import json,sys; d=json.load(open(sys.argv[1]))
assert any(g["created_by"] and g["created_by"].get("goroutine") for g in d["goroutine_list"])' "$WORK/c.json"

# the debug=1 and debug=2 views of one process agree on the total
t1=$($R goroutines analyze --json "$DUMPS/go-profiler-notes/1.net.http.pprof.goroutine.debug1.txt" | $PY -c 'import json,sys; print(json.load(sys.stdin)["goroutines"])')
t2=$($R goroutines analyze --json "$DUMPS/go-profiler-notes/1.net.http.pprof.goroutine.debug2.txt" | $PY -c 'import json,sys; print(json.load(sys.stdin)["goroutines"])')
check "debug=1 and debug=2 of one process: same total ($t1 = $t2)" test "$t1" = "$t2"

# contracts of the command
expect_rc 2 "a file that is not a dump" $R goroutines analyze "$RL_SOURCE_DIR/data/demo/hospital.ttl"
contains "$WORK/err" "no goroutine found" "says what was expected"
expect_rc 1 "unknown --group" $R goroutines analyze --group nope "$DUMPS/goleak/http.txt"
expect_rc 0 "text output" $R goroutines analyze "$DUMPS/gostackparse/waitsince.txt"
contains "$WORK/out" "9 goroutines" "text output counts goroutines"
expect_rc 0 "several files give a JSON array" $R goroutines analyze --json "$DUMPS/goleak/http.txt" "$DUMPS/goleak/http.go1.20.txt"
check "array of two snapshots" $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d)==2 and d[0]["goroutines"]==5' "$WORK/out"
finish
