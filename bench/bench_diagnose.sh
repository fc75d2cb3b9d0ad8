#!/bin/sh
# bench_diagnose.sh: `rootline diagnose` over a DAYS-day, two-analyzer site
# (data/synth/gen_site.py --scenario level3, SPECIMENS specimens per analyzer
# and day), on the lmdb store: wall time and peak RSS of diagnose, the p50 /
# p95 of single traces from the command line and over HTTP (/trace), and the
# same trace's hops as one SPARQL query (the causal-trace saved query, rasqal
# on the same store) in the same run.  Prints one line per figure.
#
#   sh bench/bench_diagnose.sh [DAYS] [SPECIMENS] [TRACES] [WORKDIR]
#
# Defaults 90 days, 2200 specimens (about 1M results), 20 traces.
# RL_BENCH_REUSE=1 keeps the site and store of an earlier run in WORKDIR;
# RL_BENCH_CLI_TRACES (5) one-process traces; RL_BENCH_SPARQL_MAX (900 s)
# bounds rasqal's run of the trace query.  Needs the
# Release build (build-release/rootline), /usr/bin/python3 and curl.
set -eu
cd "$(dirname "$0")/.."
D=${1:-90}
S=${2:-2200}
T=${3:-20}
CLI_N=${RL_BENCH_CLI_TRACES:-5}
SPARQL_MAX=${RL_BENCH_SPARQL_MAX:-900}
W=${4:-/tmp/rl-bench-diagnose}
R=$PWD/build-release/rootline
[ -x "$R" ] || { echo "build first: cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release && cmake --build build-release" >&2; exit 1; }
ST="lmdb:$W/store?no-sync=yes"
if [ "${RL_BENCH_REUSE:-0}" = 1 ] && [ -s "$W/time.import" ]; then
  echo "reusing the site and store in $W (RL_BENCH_REUSE=1)"
else
  rm -rf "$W"
  mkdir -p "$W"
  /usr/bin/python3 data/synth/gen_site.py "$W/site" --scenario level3 --no-hl7 --days "$D" --specimens-per-day "$S" >/dev/null
  /usr/bin/time -f '%e %M' -o "$W/time.import" "$R" --store "$ST" import --quiet ontology ontology/clinical "$W/site" >/dev/null
fi
/usr/bin/time -f '%e %M' -o "$W/time.diag" "$R" --store "$ST" diagnose --json >"$W/diag.json"
/usr/bin/python3 - "$W" "$T" <<'PY' >"$W/picks"
import json, sys
d = json.load(open(sys.argv[1] + "/diag.json"))
runs = d["runs"]
step = max(1, len(runs) // int(sys.argv[2]))
for r in runs[::step][: int(sys.argv[2])]:
    print(r["stream"]["id"], r["detected_at"])
print("#", d["results"], len(runs), file=sys.stderr)
PY
results=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"])' "$W/diag.json")
runs=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["runs"]))' "$W/diag.json")
ms() { /usr/bin/python3 -c 'import time; print("%.3f" % (time.time() * 1000))'; }
: >"$W/cli.ms"
head -n "$CLI_N" "$W/picks" | while read -r stream at; do # each loads the whole site: a few suffice
  t0=$(ms); "$R" --store "$ST" trace --stream "$stream" --at "$at" --json >/dev/null; t1=$(ms)
  echo "$t0 $t1" | awk '{print $2 - $1}' >>"$W/cli.ms"
done
# /trace is resident: the first request loads the site (cold), the rest
# are answered from memory; a long deadline so the cold load completes
rm -f "$W/port"
"$R" --store "$ST" serve --listen 127.0.0.1:0 --port-file "$W/port" --executors 1 --weights-every 0 \
  --query-timeout 900 --query-timeout-max 900 2>"$W/serve.log" &
SP=$!
i=0; while [ ! -s "$W/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
B="http://127.0.0.1:$(cat "$W/port")"
: >"$W/http.raw"
while read -r stream at; do
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -G --data-urlencode "stream=$stream" --data-urlencode "at=$at" \
    "$B/trace" >>"$W/http.raw"
done <"$W/picks"
kill -TERM $SP; wait $SP || true
awk '$1 != 200 {bad++} END {exit bad ? 1 : 0}' "$W/http.raw" || { echo "GET /trace failed: $(sort "$W/http.raw" | uniq -c | head -3)" >&2; exit 1; }
awk '{print $2 * 1000}' "$W/http.raw" >"$W/http.ms"
# the trace's hops as one SPARQL query: the flagged results of the first pick's analyzer and test, that day
first=$(head -1 "$W/picks")
an=$(echo "$first" | cut -d/ -f1); test=$(echo "$first" | cut -d/ -f3); at=$(echo "$first" | cut -d' ' -f2)
from=$(/usr/bin/python3 -c 'import datetime,sys; t=datetime.datetime.fromisoformat(sys.argv[1]); print((t-datetime.timedelta(days=1)).isoformat())' "$at")
t0=$(ms)
if timeout "$SPARQL_MAX" "$R" --store "$ST" run causal-trace --param analyzer="$an" --param test="$test" \
  --param from="$from" --param to="$at" --format csv >"$W/sparql.csv"; then
  t1=$(ms)
  sparql="$(echo "$t0 $t1" | awk '{printf "%.0f", $2 - $1}') ms, $(($(wc -l <"$W/sparql.csv") - 1)) rows"
else
  sparql="did not finish within $SPARQL_MAX s (stopped)"
fi
pct() { sort -n "$1" | awk -v p="$2" '{a[NR]=$1} END {i=int((NR-1)*p)+1; print a[i]}'; }
# the same trace query run by Virtuoso 7.2 on the same data (RL_BENCH_VIRTUOSO=0 skips it)
vline="causal-trace on Virtuoso: skipped (RL_BENCH_VIRTUOSO=0)"
if [ "${RL_BENCH_VIRTUOSO:-1}" = 1 ]; then
  dpkg-query -W -f='${Status}' virtuoso-opensource 2>/dev/null | grep -q 'install ok installed' ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends virtuoso-opensource >/dev/null
  VPORT=18891
  VSQL=11113
  for port in $VPORT $VSQL; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "port $port on 127.0.0.1 is in use" >&2; exit 1; fi
  done
  rm -rf "$W/virt"
  mkdir -p "$W/virt"
  "$R" --store "$ST" export >"$W/virt/site.nq"
  {
    echo "[Database]"
    echo "DatabaseFile = $W/virt/virtuoso.db"
    echo "ErrorLogFile = $W/virt/virtuoso.log"
    echo "LockFile = $W/virt/virtuoso.lck"
    echo "TransactionFile = $W/virt/virtuoso.trx"
    echo "xa_persistent_file = $W/virt/virtuoso.pxa"
    echo "[TempDatabase]"
    echo "DatabaseFile = $W/virt/virtuoso-temp.db"
    echo "TransactionFile = $W/virt/virtuoso-temp.trx"
    echo "[Parameters]"
    echo "ServerPort = 127.0.0.1:$VSQL"
    echo "DisableUnixSocket = 1"
    echo "DirsAllowed = ., $W/virt, /usr/share/virtuoso-opensource-7/vad"
    echo "NumberOfBuffers = 680000"
    echo "MaxDirtyBuffers = 500000"
    echo "ThreadsPerQuery = 1"
    echo "[HTTPServer]"
    echo "ServerPort = 127.0.0.1:$VPORT"
    echo "ServerRoot = /var/lib/virtuoso-opensource-7/vsp"
    echo "ServerThreads = 8"
    echo "[SPARQL]"
    echo "ResultSetMaxRows = 1000000"
    echo "MaxQueryExecutionTime = 600"
  } >"$W/virt/virtuoso.ini"
  virtuoso-t +foreground +configfile "$W/virt/virtuoso.ini" >"$W/virt/stdout" 2>&1 &
  VP=$!
  i=0; until isql-vt "$VSQL" dba dba exec="select 1;" >/dev/null 2>&1 || [ $i -ge 240 ]; do sleep 0.5; i=$((i + 1)); done
  v0=$(ms)
  isql-vt "$VSQL" dba dba exec="ld_dir('$W/virt', 'site.nq', 'http://bench/'); rdf_loader_run(); checkpoint;" >"$W/virt/load.log" 2>&1
  v1=$(ms)
  "$R" --store "$ST" run causal-trace --show --param analyzer="$an" --param test="$test" --param from="$from" \
    --param to="$at" >"$W/virt/q.rq"
  : >"$W/virt/ms"
  for k in 1 2 3 4 5; do
    curl -s -o "$W/virt/out.csv" -w '%{time_total}\n' -H 'Accept: text/csv' --data-urlencode "query@$W/virt/q.rq" \
      "http://127.0.0.1:$VPORT/sparql" | awk '{print $1 * 1000}' >>"$W/virt/ms"
  done
  vrows=$(($(wc -l <"$W/virt/out.csv") - 1))
  kill $VP
  wait $VP 2>/dev/null || true
  vload=$(echo "$v0 $v1" | awk '{printf "%.0f", ($2 - $1) / 1000}')
  vline="causal-trace on Virtuoso 7.2 (same data, bulk-loaded in $vload s): p50 $(pct "$W/virt/ms" 0.5) ms over 5 runs, $vrows rows"
fi
echo "site: $D days, $S specimens/analyzer/day, $results results, $runs runs"
awk '{printf "import: %.1f s, peak RSS %.0f MB\n", $1, $2/1024}' "$W/time.import"
awk -v n="$results" '{printf "diagnose --json: %.2f s (%.0f results/s), peak RSS %.0f MB\n", $1, n/$1, $2/1024}' "$W/time.diag"
echo "trace (CLI, a process per trace, $(wc -l <"$W/cli.ms") runs): p50 $(pct "$W/cli.ms" 0.5) ms, p95 $(pct "$W/cli.ms" 0.95) ms"
head -1 "$W/http.ms" >"$W/http.cold"; tail -n +2 "$W/http.ms" >"$W/http.warm"
echo "trace (GET /trace, resident): first request $(cat "$W/http.cold") ms (loads the site); the other $(wc -l <"$W/http.warm"): p50 $(pct "$W/http.warm" 0.5) ms, p95 $(pct "$W/http.warm" 0.95) ms"
echo "causal-trace as one SPARQL query (rasqal, same store, one day): $sparql"
echo "$vline"
