#!/bin/sh
# goroutines_live.sh: real Go programs (Debian's golang-go) that leak in every
# way the analysis knows, next to healthy goroutines; their live pprof dumps
# (debug=2, debug=1, on 127.0.0.1), a SIGQUIT dump, and a series from a
# program that leaks at a steady rate, whose fitted slope must match it.
. "$(dirname "$0")/lib.inc"
R=$ROOTLINE
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; done; rm -rf "$WORK"; }
trap cleanup EXIT
command -v go >/dev/null || { bad "go is not installed (deploy/debian-deps.sh installs golang-go)"; finish; exit 1; }
export GOCACHE="$WORK/gocache" GOPATH="$WORK/gopath" GOPROXY=off GO111MODULE=off GOFLAGS=
check "build the leaking fixture program" go build -o "$WORK/leaky" "$RL_SOURCE_DIR/tests/go/leaky/main.go"

# start: leaky ARGS... ; waits (bounded) for its address; sets ADDR and PID
start() {
  rm -f "$WORK/addr"
  "$WORK/leaky" -addrfile "$WORK/addr" "$@" 2>"$WORK/stderr" &
  PID=$!
  PIDS="$PIDS $PID"
  i=0; while [ ! -s "$WORK/addr" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  ADDR=$(cat "$WORK/addr" 2>/dev/null)
}

start -n 3
check "fixture serves pprof on 127.0.0.1" sh -c "echo '$ADDR' | grep -q '^127.0.0.1:'"
curl -sf "http://$ADDR/debug/pprof/goroutine?debug=2" >"$WORK/d2.txt"
curl -sf "http://$ADDR/debug/pprof/goroutine?debug=1" >"$WORK/d1.txt"
kill $PID

cat >"$WORK/expect.py" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); mode = sys.argv[2]
want = {"main.chanSend": "chan send", "main.chanRecv": "chan receive",
        "main.nilSend": "chan send (nil chan)", "main.nilRecv": "chan receive (nil chan)",
        "main.selectNoReady": "select", "main.selectNoCases": "select (no cases)",
        "main.mutexWait": "sync.Mutex.Lock", "main.rwWait": "sync.RWMutex.RLock",
        "main.wgWait": "sync.WaitGroup.Wait", "main.condWait": "sync.Cond.Wait",
        "main.ioWait": "IO wait"}
healthy = ["main.ticker", "main.main", "main.longSleep", "net/http.(*Server).Serve"]
seen = {}
for g in d["goroutine_list"]:
    funcs = [f["function"] for f in g["frames"]]
    for fn, cls in want.items():
        if fn in funcs:
            assert g["leak_class"] == cls, (fn, g["leak_class"], cls)
            assert g["verdict"] == mode, (fn, g["verdict"], mode)
            seen[fn] = seen.get(fn, 0) + g["count"]
    for fn in healthy:
        if fn in funcs and not any(w in funcs for w in want):
            assert g["verdict"] == "ok", (fn, g["verdict"])
assert seen == {fn: 3 for fn in want}, seen
# anything else judged leaked may only be net/http's own connection
# goroutines caught mid-flight (curl's just-closed connection), never ours
for g in d["goroutine_list"]:
    funcs = [f["function"] for f in g["frames"]]
    if g["verdict"] == "leaked" and not any(w in funcs for w in want):
        assert all(not f.startswith("main.") for f in funcs), funcs
        assert any(f.startswith("net/http.") or f.startswith("net.") for f in funcs), funcs
assert d["unknown_lines"] == 0, d["unknown"]
PY
$R goroutines analyze --detail --min-wait 0 "$WORK/d2.txt" >"$WORK/a0.json"
check "debug=2, --min-wait 0: all 11 leak kinds x 3 leaked, healthy ones ok" $PY "$WORK/expect.py" "$WORK/a0.json" leaked
$R goroutines analyze --detail "$WORK/d2.txt" >"$WORK/a1.json"
check "debug=2, default --min-wait 1: the same 33 are suspects (no minutes yet), none leaked" $PY -c '
import json,sys; d=json.load(open(sys.argv[1]))
ours=sum(g["count"] for g in d["goroutine_list"] if g["verdict"]=="suspect" and any(f["function"].startswith("main.") and f["function"] not in ("main.main","main.longSleep","main.ticker") for f in g["frames"]))
assert d["leaked"]==0 and ours==33, (d["leaked"], ours)' "$WORK/a1.json"
$R goroutines analyze --detail --min-wait 0 --ignore-top main.chanSend --ignore-any main.wgWait \
  "$WORK/d2.txt" >"$WORK/ig.json"
check "ignore rules by top and by any function take exactly those 6 goroutines out of the verdicts" $PY -c '
import json,sys; a=json.load(open(sys.argv[1])); d=json.load(open(sys.argv[2]))
ign=[g for g in d["goroutine_list"] if g["verdict"]=="ignored"]
funcs=lambda g: [f["function"] for f in g["frames"]]
assert all(funcs(g)[0]=="main.chanSend" or "main.wgWait" in funcs(g) for g in ign), ign
n=sum(g["count"] for g in ign)
assert n==6 and d["ignored"]==6, (n, d["ignored"])
assert d["leaked"]==a["leaked"]-6, (a["leaked"], d["leaked"])' "$WORK/a0.json" "$WORK/ig.json"
$R goroutines analyze --detail --min-wait 0 --ignore-created-by main.main "$WORK/d2.txt" >"$WORK/ig2.json"
check "ignore by creator: nothing main.main started is judged" $PY -c '
import json,sys; d=json.load(open(sys.argv[1]))
for g in d["goroutine_list"]:
    if (g.get("created_by") or {}).get("function")=="main.main": assert g["verdict"]=="ignored", g
assert d["ignored"]>=33, d["ignored"]' "$WORK/ig2.json"
$R goroutines analyze --json --source "$RL_SOURCE_DIR/tests/go/leaky" "$WORK/d2.txt" >"$WORK/src.json"
check "--source: the blocked select has no default and two receive cases; links are labelled" $PY -c '
import json,sys; d=json.load(open(sys.argv[1]))
src=[g["source"] for g in d["group_list"] if "source" in g]
assert len(src)==1 and src[0]["select_without_default"] and src[0]["receive_cases"]==["case <-a:","case <-b:"], src
links=d["channel_links"]
senders=[l for l in links if l["senders"]==3]
assert senders and all(l["basis"] in ("pointer","creator+location") for l in links), links' "$WORK/src.json"
$R goroutines analyze --detail --min-wait 0 "$WORK/d1.txt" >"$WORK/b.json"
check "debug=1 of the same process: totals agree, sync and IO waits recognised" $PY -c '
import json,sys
a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))
assert abs(a["goroutines"]-b["goroutines"]) <= 2, (a["goroutines"], b["goroutines"])
cls={}
for g in b["goroutine_list"]: cls[g["leak_class"]]=cls.get(g["leak_class"],0)+g["count"]
for c in ("sync.Mutex.Lock","sync.RWMutex.RLock","sync.WaitGroup.Wait","sync.Cond.Wait"): assert cls.get(c)==3, (c, cls)
assert b["unknown_lines"]==0' "$WORK/a0.json" "$WORK/b.json"

# SIGQUIT with GOTRACEBACK=all: the dump goes to stderr
GOTRACEBACK=all start -n 3
kill -QUIT $PID; wait $PID 2>/dev/null
check "SIGQUIT dump was written" grep -q 'SIGQUIT' "$WORK/stderr"
$R goroutines analyze --detail --min-wait 0 "$WORK/stderr" >"$WORK/q.json"
check "SIGQUIT dump: the same 33 leaks, nothing unexplained" $PY "$WORK/expect.py" "$WORK/q.json" leaked

# a steady leak of 8 goroutines per second, sampled every second
start -n 1 -rate 8
i=0
while [ $i -lt 13 ]; do
  i=$((i + 1))
  curl -sf "http://$ADDR/debug/pprof/goroutine?debug=2" >"$WORK/s$(printf %02d $i).txt"
  sleep 1
done
kill $PID
$R goroutines series --json "$WORK"/s*.txt >"$WORK/series.json"
check "series: fitted slope matches the leak rate of 8/s" $PY -c '
import json,sys; d=json.load(open(sys.argv[1])); k=d["total_slope_per_s"]
assert 6.5 <= k <= 9.5, k
assert len(d["snapshots"]) == 13 and len(d["windows"]) == 2, (len(d["snapshots"]), len(d["windows"]))
assert d["alerts"] and d["alerts"][0]["rule"] == "k > 5.0", d["alerts"]
top = d["leak_candidates"][0]
assert any("main.rateLeak" in c for c in top["call_chain"]), top' "$WORK/series.json"
$R goroutines series --json --interval 1 "$WORK"/s*.txt >"$WORK/series2.json"
check "series --interval 1 gives the same slope within 10 %" $PY -c '
import json,sys; a=json.load(open(sys.argv[1]))["total_slope_per_s"]; b=json.load(open(sys.argv[2]))["total_slope_per_s"]
assert abs(a-b) <= 0.1*a, (a,b)' "$WORK/series.json" "$WORK/series2.json"
finish
