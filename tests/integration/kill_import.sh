#!/bin/sh
# kill_import.sh: SIGKILL `rootline import` in the middle of a large file;
# reopen: the batch is either absent or whole, earlier data is intact, the
# store opens, answers queries and takes the import again.
. "$(dirname "$0")/lib.inc"
R=$ROOTLINE
N=1500000
expect_rc 0 "import a first small file" $R import "$RL_SOURCE_DIR/data/demo/hospital.ttl"
$R stats --json >"$WORK/before"
awk -v n=$N 'BEGIN { for (i = 0; i < n; i++) printf "<http://k/s%d> <http://k/p%d> \"value %d\" .\n", i, i % 7, i }' >"$WORK/big.nt"
SHA=$(sha256sum "$WORK/big.nt" | cut -d' ' -f1)
G="urn:rootline:batch:$SHA"

$R import --progress lines "$WORK/big.nt" >"$WORK/imp.out" 2>"$WORK/imp.err" &
PID=$!
# wait (bounded) until it is past 80% (several 256Ki-quad flushes into the
# open LMDB transaction), then kill it hard
i=0
while [ $i -lt 1200 ] && ! grep -q '[89]0% read, [1-9]' "$WORK/imp.err" 2>/dev/null; do
  sleep 0.05; i=$((i + 1))
done
kill -9 $PID 2>/dev/null
wait $PID 2>/dev/null
check "killed while the import was running (progress seen, not finished)" sh -c "grep -q '% read' '$WORK/imp.err' && ! grep -q 'imported' '$WORK/imp.out'"

# reopen: all or nothing
$R export --graph "$G" >"$WORK/g.nq" 2>/dev/null
n=$(wc -l <"$WORK/g.nq")
check "batch after SIGKILL is absent or whole ($n of $N)" sh -c "[ $n -eq 0 ] || [ $n -eq $N ]"
expect_rc 0 "store opens after the kill" $R stats --json
if [ "$n" -eq 0 ]; then
  check "store unchanged by the killed import" cmp -s "$WORK/before" "$WORK/out"
fi
expect_rc 0 "earlier data still answers" $R query --format csv -f "$RL_SOURCE_DIR/data/demo/three-levels.rq"
check "demo query still returns its 5 rows" test "$(wc -l <"$WORK/out")" -eq 6
expect_rc 0 "the same import runs to the end afterwards" $R import --quiet "$WORK/big.nt"
$R export --graph "$G" 2>/dev/null | wc -l >"$WORK/n2"
check "now the whole batch is there" test "$(cat "$WORK/n2")" -eq $N
expect_rc 0 "subject lookup in the big batch" $R query --format csv 'SELECT ?o WHERE { <http://k/s123456> ?p ?o }'
contains "$WORK/out" "value 123456" "lookup finds the triple"
finish
