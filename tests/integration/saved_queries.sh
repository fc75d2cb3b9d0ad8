#!/bin/sh
# saved_queries.sh: saved queries from the CLI (rootline run) and over HTTP
# (/queries, /queries/openapi.json, /queries/NAME), parameters bound as typed
# terms that a hostile value cannot escape; diagnose --save and the
# findings-by-level query; /trace and /diagnose answered by the service; the
# level weights schedule at /metrics.  The service is stopped by PID.
. "$(dirname "$0")/lib.inc"
# The Release binary when the suite has one (as the W3C run): rasqal's
# evaluation of the saved queries under ASan at -O0 outlasts the test's
# 1200 s (causal-trace alone: minutes).  The binding code runs under ASan in
# unit.test_savedq, and diagnose/trace/weights/--save in integration.diagnose.
R=${RL_W3C_ROOTLINE:-$ROOTLINE}
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; done; rm -rf "$WORK"; }
trap cleanup EXIT
wait_file() { i=0; while [ ! -s "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; [ -s "$1" ]; }

$PY "$RL_SOURCE_DIR/data/synth/gen_site.py" "$WORK/site" --scenario level3 --no-hl7 >/dev/null
expect_rc 0 "the level-3 site imports" "$R" import "$RL_SOURCE_DIR/ontology" "$RL_SOURCE_DIR/ontology/clinical" "$WORK/site"

# ---- CLI ----
expect_rc 0 "run --list" "$R" run --list
for q in causal-trace qc-lots-in-use centrifuge-deviations department-results channel-epochs findings-by-level; do
  contains "$WORK/out" "$q" "  ... lists $q"
done
expect_rc 0 "run channel-epochs" "$R" run channel-epochs --param analyzer=CHEM-01 --param channel=PH1 --format csv
tr -d '\r' <"$WORK/out" >"$WORK/epochs.csv"
check "  ... the two calibration epochs of PH1, the second with calibrator lot CAL-81" \
  test "$(tail -n +2 "$WORK/epochs.csv" | cut -d, -f1,5 | tr -d '\r' | tr '\n' ' ')" = "PH1,CAL-77 PH1,CAL-81 "
expect_rc 2 "a required parameter missing" "$R" run channel-epochs
contains "$WORK/err" "parameter 'analyzer' (string) is required" "  ... names it"
expect_rc 2 "a value not of its type" "$R" run qc-lots-in-use --param at=yesterday
contains "$WORK/err" "expected an ISO 8601 time" "  ... says what was expected"
expect_rc 2 "an unknown saved query" "$R" run no-such-query
expect_rc 0 "a hostile value stays one literal" "$R" run department-results --param 'dept=0300" } ?s ?p ?o {' --format csv
check "  ... and matches nothing" test "$(wc -l <"$WORK/out")" -eq 1
expect_rc 0 "the honest value" "$R" run department-results --param dept=0300 --param test=GLU --format csv
check "  ... gives the ED's glucose results (one a day or more)" test "$(tail -n +2 "$WORK/out" | grep -c ',GLU,')" -ge 10
expect_rc 0 "run qc-lots-in-use" "$R" run qc-lots-in-use --param at=2024-11-08T00:00:00+08:00 --param material=CHEM-CTRL --format csv
check "  ... the two CHEM-CTRL levels of lot C2410B" test "$(tail -n +2 "$WORK/out" | cut -d, -f2,3 | tr -d '\r' | tr '\n' ' ')" = "C2410B,1 C2410B,2 "
expect_rc 0 "run causal-trace" "$R" run causal-trace --param analyzer=CHEM-01 --param test=GLU --param from=2024-11-07T10:44:00+08:00 --param to=2024-11-07T10:46:00+08:00 --format csv
check "  ... every row names its batch and the epoch keys up to the result" \
  sh -c "tail -n +2 '$WORK/out' | grep -c 'urn:rootline:batch:' | grep -qv '^0$'"

# ---- findings stored, queried by level ----
expect_rc 0 "diagnose --save" "$R" diagnose --save
expect_rc 0 "diagnose --save again (idempotent)" "$R" diagnose --save
expect_rc 0 "findings-by-level level=3" "$R" run findings-by-level --param level=3 --param rule=consecutive-flags --format csv
check "  ... one level-3 link per run, the largest shares" $PY -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
sys.exit(0 if len(rows) == 7 and all(r["level"] == "3" and float(r["share"]) >= 0.7 for r in rows) and len(set(r["finding"] for r in rows)) == 7 else 1)' "$WORK/out"

# ---- HTTP ----
"$R" serve --listen 127.0.0.1:0 --port-file "$WORK/port" --executors 1 2>"$WORK/serve.log" &
SERVE=$!
PIDS="$PIDS $SERVE"
check "serve starts" wait_file "$WORK/port"
B="http://127.0.0.1:$(cat "$WORK/port")"
curl -s "$B/queries" >"$WORK/list.json"
check "GET /queries lists every saved query with its parameters" $PY -c '
import json, sys
d = json.load(open(sys.argv[1])); names = {q["name"]: q for q in d}
p = {x["name"]: x for x in names["channel-epochs"]["parameters"]}
sys.exit(0 if len(d) >= 12 and p["analyzer"]["required"] and p["analyzer"]["type"] == "string" and not p["channel"]["required"] else 1)' "$WORK/list.json"
curl -s "$B/queries/openapi.json" >"$WORK/openapi.json"
check "GET /queries/openapi.json: OpenAPI 3 with a path per query, typed parameters" $PY -c '
import json, sys
d = json.load(open(sys.argv[1])); p = d["paths"]["/queries/qc-lots-in-use"]["get"]["parameters"]
at = [x for x in p if x["name"] == "at"][0]
sys.exit(0 if d["openapi"].startswith("3.") and len(d["paths"]) >= 12 and at["schema"]["format"] == "date-time" and at["required"] else 1)' "$WORK/openapi.json"
curl -s -H 'Accept: text/csv' "$B/queries/channel-epochs?analyzer=CHEM-01&channel=PH1" | tr -d '\r' >"$WORK/http.csv"
check "GET /queries/channel-epochs = rootline run" cmp -s "$WORK/http.csv" "$WORK/epochs.csv"
code=$(curl -s -o "$WORK/post.csv" -w '%{http_code}' -H 'Accept: text/csv' --data-urlencode analyzer=CHEM-01 --data-urlencode channel=PH1 "$B/queries/channel-epochs")
check "POST form to /queries/channel-epochs (got $code)" sh -c "[ $code = 200 ] && tr -d '\r' <'$WORK/post.csv' | cmp -s - '$WORK/epochs.csv'"
code=$(curl -s -o "$WORK/e" -w '%{http_code}' "$B/queries/channel-epochs")
check "a missing parameter is a 400 (got $code)" test "$code" = 400
contains "$WORK/e" "'analyzer'" "  ... naming it"
code=$(curl -s -o /dev/null -w '%{http_code}' "$B/queries/no-such-query")
check "an unknown saved query is a 404 (got $code)" test "$code" = 404
code=$(curl -s -o "$WORK/h.csv" -w '%{http_code}' -H 'Accept: text/csv' -G --data-urlencode 'dept=0300"}} ?s ?p ?o {{' "$B/queries/department-results")
check "a hostile value over HTTP: 200, no rows (got $code)" sh -c "[ $code = 200 ] && [ \$(wc -l <'$WORK/h.csv') -eq 1 ]"

"$R" trace --stream CHEM-01/PH1/GLU/patient --at 2024-11-08T14:47:40+08:00 --json >"$WORK/cli-trace.json"
code=$(curl -s -o "$WORK/http-trace.json" -w '%{http_code}' -G --data-urlencode stream=CHEM-01/PH1/GLU/patient --data-urlencode at=2024-11-08T14:47:40+08:00 "$B/trace")
check "GET /trace = rootline trace (got $code)" $PY -c '
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
sys.exit(0 if a["results"] == b["results"] and [h["level"] for h in a["hypotheses"]] == [h["level"] for h in b["hypotheses"]] and b["hypotheses"][0]["level"] == 3 else 1)' "$WORK/cli-trace.json" "$WORK/http-trace.json"
code=$(curl -s -o "$WORK/e" -w '%{http_code}' "$B/trace")
check "GET /trace without stream and at: 400 (got $code)" test "$code" = 400
code=$(curl -s -o "$WORK/e" -w '%{http_code}' -G --data-urlencode stream=NO/SUCH --data-urlencode at=2024-11-08T14:47:40+08:00 "$B/trace")
check "GET /trace of an unknown stream: 404 (got $code)" test "$code" = 404
# /trace is a resident route: one process keeps the site loaded, loads it
# again when the store's version changes, and is started again if it dies
TQ="--data-urlencode stream=CHEM-01/PH1/GLU/patient --data-urlencode at=2024-11-08T14:47:40+08:00"
residents() { pgrep -P $SERVE -f -- "trace --residen[t]" | tr '\n' ' '; }
pid1=$(residents)
check "one resident trace process answered (found: $pid1)" test "$(echo $pid1 | wc -w)" = 1
curl -s -o "$WORK/http-trace2.json" -G $TQ "$B/trace"
check "  ... and answers the next request too, with the same answer" sh -c "[ '$(residents)' = '$pid1' ] && cmp -s '$WORK/http-trace.json' '$WORK/http-trace2.json'"
"$R" weights --as-of 2024-11-08T14:00:00+08:00 >/dev/null 2>&1
"$R" trace --stream CHEM-01/PH1/GLU/patient --at 2024-11-08T14:47:40+08:00 --json >"$WORK/cli-trace3.json"
curl -s -o "$WORK/http-trace3.json" -G $TQ "$B/trace"
check "after new data (weights stored before the run) /trace = a fresh rootline trace, whole answer" $PY -c '
import json, sys
a, b, old = (json.load(open(f)) for f in sys.argv[1:4])
sys.exit(0 if a == b and b["weights"] != old["weights"] and b["weights"].get("stored") else 1)' "$WORK/cli-trace3.json" "$WORK/http-trace3.json" "$WORK/http-trace.json"
kill -KILL $pid1 2>/dev/null
code=$(curl -s -o "$WORK/http-trace4.json" -w '%{http_code}' -G $TQ "$B/trace")
check "the resident process killed: the next /trace starts another and answers (got $code)" sh -c "[ $code = 200 ] && [ -n '$(residents)' ] && cmp -s '$WORK/http-trace3.json' '$WORK/http-trace4.json'"
pid2=$(residents)
check "  ... a new process ($pid2, was $pid1)" test "$pid2" != "$pid1"
code=$(curl -s -o "$WORK/diag.json" -w '%{http_code}' "$B/diagnose?as-of=2024-11-07T12:00:00%2B08:00")
check "GET /diagnose?as-of= (got $code)" $PY -c '
import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if d["as_of"] == "2024-11-07T12:00:00+08:00" and len(d["runs"]) == 1 else 1)' "$WORK/diag.json"
curl -s "$B/metrics" >"$WORK/metrics"
contains "$WORK/metrics" 'rootline_level_weight{level="3"}' "/metrics shows the level weights the schedule computed"
contains "$WORK/metrics" 'rootline_http_requests_total{route="/queries",code="200"}' "/metrics counts /queries"
contains "$WORK/serve.log" "and the findings stored" "the schedule stored the weights and the findings at start (a child process)"
kill -TERM $SERVE; wait $SERVE; rc=$?
check "serve stops on SIGTERM (exit $rc)" test "$rc" = 0
check "  ... and its resident trace process with it (was $pid2)" sh -c "! kill -0 $pid2 2>/dev/null"
[ "$rc" = 0 ] || tail -30 "$WORK/serve.log"
finish
