#!/bin/sh
# serve_scrape.sh: `rootline serve` with the goroutine scraper against a real
# Go program (Debian's golang-go) that serves net/http/pprof on 127.0.0.1 and
# leaks at a steady rate; plus a target that is down.  Checks /healthz,
# /readyz, 404/405, the Prometheus figures at /metrics (the slope must match
# the leak rate, the growth alert must fire), the snapshots and alert
# findings stored in the graph, the spool, and a clean stop on SIGTERM.
. "$(dirname "$0")/lib.inc"
R=$ROOTLINE
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; done; rm -rf "$WORK"; }
trap cleanup EXIT
command -v go >/dev/null || { bad "go is not installed (deploy/debian-deps.sh installs golang-go)"; finish; exit 1; }
export GOCACHE="$WORK/gocache" GOPATH="$WORK/gopath" GOPROXY=off GO111MODULE=off GOFLAGS=
check "build the leaking fixture program" go build -o "$WORK/leaky" "$RL_SOURCE_DIR/tests/go/leaky/main.go"

# wait_file FILE: bounded wait (10 s) for a non-empty file
wait_file() { i=0; while [ ! -s "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; [ -s "$1" ]; }
# metric NAME_WITH_LABELS: its value in the last /metrics answer, or empty
metric() { grep -F "$1 " "$WORK/metrics" | head -1 | awk '{print $2}'; }

RATE=8
"$WORK/leaky" -addrfile "$WORK/addr" -n 2 -rate $RATE 2>"$WORK/leaky.err" &
PIDS="$PIDS $!"
check "fixture serves pprof" wait_file "$WORK/addr"
ADDR=$(cat "$WORK/addr")

expect_rc 1 "a --scrape value that is not a URL is a usage error" \
  "$R" serve --listen 127.0.0.1:0 --scrape "ftp://x/,service=a"
contains "$WORK/err" "expected an http:// or https:// URL" "  ... and says what was expected"
expect_rc 1 "an unknown --scrape field is a usage error" \
  "$R" serve --listen 127.0.0.1:0 --scrape "http://$ADDR/,colour=blue"
contains "$WORK/err" "'colour=blue' not understood" "  ... naming the field"
expect_rc 1 "--listen without a port is a usage error" "$R" serve --listen 127.0.0.1

"$R" serve --listen 127.0.0.1:0 --port-file "$WORK/port" --spool "$WORK/spool" \
  --scrape "http://$ADDR/debug/pprof/goroutine?debug=2,service=leaky,interval=1" \
  --scrape "http://127.0.0.1:1/debug/pprof/goroutine?debug=2,service=down,interval=1" \
  2>"$WORK/serve.log" &
SERVE=$!
PIDS="$PIDS $SERVE"
check "serve writes its port" wait_file "$WORK/port"
P=$(cat "$WORK/port")
U="http://127.0.0.1:$P"

check "/healthz answers 200" sh -c "curl -sf '$U/healthz' | grep -qx ok"
check "/readyz answers 200" curl -sf -o /dev/null "$U/readyz"
code=$(curl -s -o /dev/null -w '%{http_code}' "$U/nothing-here")
check "an unknown path is 404 (got $code)" test "$code" = 404
curl -s -D "$WORK/h405" -o /dev/null -X POST "$U/metrics"
contains "$WORK/h405" "405" "POST /metrics is 405"
contains "$WORK/h405" "Allow: GET, HEAD" "  ... with Allow"

# 16 snapshots at 1 s: the 12-sample window exists from the 12th on (bounded: 40 s)
i=0; n=0
while [ $i -lt 80 ]; do
  curl -sf "$U/metrics" >"$WORK/metrics" || true
  n=$(metric 'rootline_scrapes_total{service="leaky",result="ok"}')
  [ "${n:-0}" -ge 16 ] && break
  sleep 0.5; i=$((i + 1))
done
check "16 scrapes stored (got ${n:-none})" test "${n:-0}" -ge 16
contains "$WORK/metrics" "# TYPE rootline_goroutines gauge" "metrics are Prometheus text with TYPE lines"
total=$(metric 'rootline_goroutines{service="leaky"}')
check "goroutines of the service reported ($total)" test "${total:-0}" -gt 40
cat >"$WORK/check.py" <<'PY'
import re, sys
text = open(sys.argv[1]).read(); rate = float(sys.argv[2])
m = {}
for line in text.splitlines():
    if line.startswith("#") or not line.strip():
        continue
    name, value = line.rsplit(" ", 1)
    m[name] = float(value)
# every sample line parses as name{labels} value
for name in m:
    assert re.match(r'^[a-z_]+(\{([a-z_]+="[^"]*",?)+\})?$', name), name
slope = m['rootline_goroutine_growth_slope_per_second{service="leaky"}']
assert abs(slope - rate) <= 0.25 * rate, ("slope", slope, "rate", rate)
# the leak classes the fixture makes, 2 each, all present as states
for st in ["chan send", "chan receive", "select (no cases)", "sync.Cond.Wait", "IO wait"]:
    assert m['rootline_goroutines_by_state{service="leaky",state="%s"}' % st] >= 2, st
by_state = sum(v for k, v in m.items() if k.startswith('rootline_goroutines_by_state{service="leaky"'))
assert by_state == m['rootline_goroutines{service="leaky"}'], (by_state, "states sum to the total")
# k = 8 per sample > 5.0: the alert fires
assert m['rootline_goroutine_growth_alerts_total{service="leaky"}'] >= 1, "growth alert"
assert m['rootline_goroutine_leak_suspects{service="leaky"}'] + m['rootline_goroutine_leaked{service="leaky"}'] >= 2 * 11
assert m['rootline_scrapes_total{service="down",result="failed"}'] >= 1
assert m['rootline_scrapes_total{service="down",result="ok"}'] == 0
assert 'rootline_goroutines{service="down"}' not in m, "no figures for a target never reached"
print("slope %.3f per s for a leak rate of %.0f per s" % (slope, rate))
PY
check "figures: slope matches the leak rate, states sum to total, alert fired, down target counted" \
  $PY "$WORK/check.py" "$WORK/metrics" $RATE

kill -TERM $SERVE
i=0; while kill -0 $SERVE 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
wait $SERVE; rc=$?
check "serve stops on SIGTERM with exit 0 (got $rc)" test "$rc" = 0
contains "$WORK/serve.log" "scrape down" "the down target is logged"
check "  ... once per outage, not every second" test "$(grep -c 'scrape down' "$WORK/serve.log")" = 1

# the graph: one snapshot per stored scrape, slopes, and the alert findings
"$R" query --format csv 'PREFIX gr: <https://w3id.org/rootline/goruntime#>
SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a gr:Snapshot ; gr:ofService ?svc .
  ?svc <http://www.w3.org/2000/01/rdf-schema#label> "leaky" }' >"$WORK/q1"
stored=$(tail -1 "$WORK/q1" | tr -d '\r')
ok_now=$(grep -c 'rootline-scrape service=leaky' "$WORK"/spool/goroutine-scraper/leaky/*.txt | awk -F: '{s+=$2} END {print s}')
check "every stored scrape is a snapshot in the graph ($stored in graph, >= 16)" test "$stored" -ge 16
check "  ... and each has its spool file ($ok_now)" test "$stored" = "$ok_now"
"$R" query --format csv 'PREFIX gr: <https://w3id.org/rootline/goruntime#>
PREFIX rl: <https://w3id.org/rootline/core#>
SELECT ?rule ?k WHERE { ?f a gr:GrowthAlert ; gr:alertRule ?rule ; rl:evidence ?s . ?s gr:windowSlope ?k }' >"$WORK/q2"
contains "$WORK/q2" "k > 5.0" "growth alerts are findings in the graph, with the rule"
"$R" query --format csv 'PREFIX gr: <https://w3id.org/rootline/goruntime#>
SELECT ?t WHERE { ?s a gr:Snapshot ; <http://www.w3.org/ns/prov#generatedAtTime> ?t } LIMIT 1' >"$WORK/q3"
# (the engine writes dateTimes canonically: "14.320" comes back as "14.32", "14.000" as "14")
check "snapshot times are the scrape times (ISO 8601, to the millisecond)" \
  grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\.[0-9]{1,3})?(Z|[+-][0-9]{2}:[0-9]{2})' "$WORK/q3"
Q="$RL_SOURCE_DIR/queries/goruntime"
"$R" query --format csv -f "$Q/groups-growing.rq" >"$WORK/q5"
check "saved query groups-growing: the steady leak's group, risen by at least 15 x rate" $PY -c '
import csv,sys; rows=list(csv.DictReader(open(sys.argv[1]))); rate=int(sys.argv[2])
top=rows[0]
assert top["function"]=="main.rateLeak" and top["_service"]=="leaky", top
assert int(top["largestRise"]) >= 14*rate*0.75, top
assert int(top["highestCount"]) - int(top["largestRise"]) >= 1, top' "$WORK/q5" $RATE
"$R" query --format csv -f "$Q/growth-alerts.rq" >"$WORK/q6"
contains "$WORK/q6" "leaky," "saved query growth-alerts lists the service's alerts"
"$R" query --format csv -f "$Q/blocked-on-channel.rq" >"$WORK/q7"
check "saved query blocked-on-channel: the fixture's chan-send / chan-receive goroutines, with the link basis" $PY -c '
import csv,sys; rows=list(csv.DictReader(open(sys.argv[1])))
assert rows and all(r["basis"] in ("pointer","creator+location") for r in rows), rows[:3]
assert {"main.chanSend","main.rateLeak"} <= {r["function"] for r in rows}, {r["function"] for r in rows}' "$WORK/q7"
# a spool file re-imported elsewhere keeps service and time from its header
f=$(ls "$WORK"/spool/goroutine-scraper/leaky/*.txt | head -1)
ROOTLINE_STORE="lmdb:$WORK/store2" "$R" import --quiet "$f"
ROOTLINE_STORE="lmdb:$WORK/store2" "$R" query --format csv 'PREFIX gr: <https://w3id.org/rootline/goruntime#>
SELECT ?l WHERE { ?s gr:ofService ?svc . ?svc <http://www.w3.org/2000/01/rdf-schema#label> ?l }' >"$WORK/q4"
contains "$WORK/q4" "leaky" "a spool file imported later keeps its service name"

# keep=N bounds the spool (alert snapshots are kept besides)
"$R" --store "lmdb:$WORK/store3" serve --listen 127.0.0.1:0 --port-file "$WORK/port3" --spool "$WORK/spool3" \
  --scrape "http://$ADDR/debug/pprof/goroutine?debug=1,service=small,interval=0.2,keep=3" 2>"$WORK/serve3.log" &
S3=$!
PIDS="$PIDS $S3"
wait_file "$WORK/port3"
i=0; while [ $i -lt 60 ]; do
  curl -sf "http://127.0.0.1:$(cat "$WORK/port3")/metrics" >"$WORK/metrics" || true
  n=$(metric 'rootline_scrapes_total{service="small",result="ok"}'); [ "${n:-0}" -ge 8 ] && break
  sleep 0.25; i=$((i + 1))
done
kill -TERM $S3; wait $S3
files=$(ls "$WORK/spool3/goroutine-scraper/small" | wc -l)
alerts=$(grep -l ' alert=' "$WORK"/spool3/goroutine-scraper/small/*.txt 2>/dev/null | wc -l)
check "keep=3: the spool holds 3 files plus the $alerts alert snapshots (has $files after ${n:-0} scrapes)" \
  test "$files" -eq $((3 + alerts))
finish
