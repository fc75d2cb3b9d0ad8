#!/bin/sh
# bench_sparql.sh: point queries over HTTP with wrk, rootline serve vs
# Virtuoso 7.2 (Debian's virtuoso-opensource) on the same 1M-triple hospital
# graph in the same run, on 127.0.0.1 only.
#
#   sh bench/bench_sparql.sh [TRIPLES] [SECONDS] [CONNECTIONS] [WORKDIR]
#
# Defaults: 1000000 triples, 20 s per server, 64 connections.  Installs wrk
# and virtuoso-opensource with apt when missing (as root).  Each request is
# SELECT ?p ?o WHERE { <s> ?p ?o } for a random one of 1000 subjects of the
# graph, as SPARQL JSON.  Prints requests/s, p50/p99 latency, errors
# (non-2xx and socket errors) and RSS (rootline: supervisor + executors),
# and the ratios rootline / Virtuoso.  Needs the Release build.
set -eu
cd "$(dirname "$0")/.."
N=${1:-1000000}
T=${2:-20}
C=${3:-64}
W=${4:-/tmp/rl-bench-sparql}
R=./build-release/rootline
G=./build-release/bench/bench_store
[ -x "$R" ] && [ -x "$G" ] || { echo "build first: cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release && cmake --build build-release" >&2; exit 1; }
for p in wrk virtuoso-opensource; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p" >/dev/null
done
RLPORT=18180
VPORT=18890
VSQL=11112
PIDS=""
cleanup() {
  rc=$?
  set +e # a server already gone must not stop the others being killed
  # our Virtuoso by PID, also when the one $! named handed over to another
  VPIDS=$(pgrep -f "configfile $W/virt/virtuoso.ini" 2>/dev/null || true)
  for p in $PIDS $VPIDS; do kill "$p" 2>/dev/null; done
  sleep 2
  for p in $PIDS $VPIDS; do kill -9 "$p" 2>/dev/null; done
  exit $rc
}
trap cleanup EXIT
for port in $RLPORT $VPORT $VSQL; do # another server on these ports would answer instead
  if curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null || (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port on 127.0.0.1 is in use: stop what listens there first" >&2
    exit 1
  fi
done
rm -rf "$W"
mkdir -p "$W/virt"

echo "== data: $N triples"
"$G" gen "$W/h.nt" "$N" >/dev/null
awk 'NR % 997 == 1 { print $1 }' "$W/h.nt" | sort -u | head -1000 | tr -d '<>' >"$W/subjects"
{
  echo 'local subjects = {'
  sed 's/.*/"&",/' "$W/subjects"
  echo '}'
  cat <<'LUA'
local function enc(s)
  return (s:gsub("([^%w%-%._~])", function(c) return string.format("%%%02X", string.byte(c)) end))
end
math.randomseed(42)
request = function()
  local s = subjects[math.random(#subjects)]
  local q = "SELECT ?p ?o WHERE { <" .. s .. "> ?p ?o }"
  return wrk.format("GET", "/sparql?query=" .. enc(q), {["Accept"] = "application/sparql-results+json"})
end
LUA
} >"$W/point.lua"

rss_tree() { # RSS in MB of a process and its children
  p=$1; kids=$(pgrep -P "$p" | tr '\n' ' ')
  ps -o rss= -p "$p" $kids 2>/dev/null | awk '{s += $1} END {printf "%.0f", s / 1024}'
}
run_wrk() { # name url pid -> "reqs p50 p99 errors"; peak RSS sampled during the run into $W/rss-name
  ( peak=0; i=0; while [ $i -lt $((T * 2)) ]; do r=$(rss_tree "$3"); [ "${r:-0}" -gt "$peak" ] && peak=$r; sleep 0.5; i=$((i + 1)); done; echo $peak >"$W/rss-$1" ) &
  sampler=$!
  wrk -t2 -c"$C" -d"${T}s" --latency -s "$W/point.lua" "$2" >"$W/wrk-$1.txt" 2>&1 || true
  wait $sampler 2>/dev/null || true
  awk '
    /Requests\/sec/ { r = $2 }
    /^ +50%/ { p50 = $2 } /^ +99%/ { p99 = $2 }
    /Non-2xx/ { e += $NF }
    /Socket errors/ { gsub(",", ""); e += $4 + $6 + $8 + $10 }
    END { printf "%s %s %s %d\n", r, p50, p99, e }' "$W/wrk-$1.txt"
}

echo "== rootline: import + serve (executors: $(nproc))"
t0=$(date +%s.%N)
"$R" --store "lmdb:$W/store" import --quiet "$W/h.nt" >/dev/null
t1=$(date +%s.%N)
"$R" --store "lmdb:$W/store" serve --listen "127.0.0.1:$RLPORT" --spool "$W/spool" --query-timeout 10 2>"$W/serve.log" &
RL=$!
PIDS="$PIDS $RL"
i=0; until curl -sf "http://127.0.0.1:$RLPORT/readyz" >/dev/null || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
curl -s -G "http://127.0.0.1:$RLPORT/sparql" --data-urlencode "query=SELECT ?p ?o WHERE { <$(head -1 "$W/subjects")> ?p ?o }" | head -c 200; echo
read -r rq rp50 rp99 rerr <<EOF
$(run_wrk rootline "http://127.0.0.1:$RLPORT" $RL)
EOF
rrss=$(cat "$W/rss-rootline")
kill $RL; wait $RL 2>/dev/null || true

echo "== Virtuoso 7.2: load + serve"
cat >"$W/virt/virtuoso.ini" <<EOF
[Database]
DatabaseFile = $W/virt/virtuoso.db
ErrorLogFile = $W/virt/virtuoso.log
LockFile = $W/virt/virtuoso.lck
TransactionFile = $W/virt/virtuoso.trx
xa_persistent_file = $W/virt/virtuoso.pxa
[TempDatabase]
DatabaseFile = $W/virt/virtuoso-temp.db
TransactionFile = $W/virt/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:$VSQL
DisableUnixSocket = 1
DirsAllowed = ., $W, /usr/share/virtuoso-opensource-7/vad
NumberOfBuffers = 170000
MaxDirtyBuffers = 130000
MaxClientConnections = 100
ThreadsPerQuery = 1
[HTTPServer]
ServerPort = 127.0.0.1:$VPORT
ServerRoot = /var/lib/virtuoso-opensource-7/vsp
MaxClientConnections = 100
ServerThreads = 64
[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 60
EOF
virtuoso-t +foreground +configfile "$W/virt/virtuoso.ini" >"$W/virt/stdout" 2>&1 &
VP=$!
PIDS="$PIDS $VP"
i=0; until isql-vt "$VSQL" dba dba exec="select 1;" >/dev/null 2>&1 || [ $i -ge 120 ]; do sleep 0.5; i=$((i + 1)); done
kill -0 $VP 2>/dev/null || { echo "virtuoso did not start: $(tail -3 "$W/virt/virtuoso.log")" >&2; exit 1; }
v0=$(date +%s.%N)
isql-vt "$VSQL" dba dba exec="ld_dir('$W', 'h.nt', 'http://bench/'); rdf_loader_run(); checkpoint;" >"$W/virt/load.log" 2>&1
v1=$(date +%s.%N)
vn=$(isql-vt "$VSQL" dba dba exec="SPARQL SELECT COUNT(*) FROM <http://bench/> WHERE { ?s ?p ?o };" 2>/dev/null | awk '/^[0-9]+ *$/ {print $1; exit}')
echo "virtuoso holds ${vn:-?} triples in <http://bench/>"
read -r vq vp50 vp99 verr <<EOF
$(run_wrk virtuoso "http://127.0.0.1:$VPORT" $VP)
EOF
vrss=$(cat "$W/rss-virtuoso")

echo
awk -v rl="$(echo "$t1 - $t0" | bc)" -v vl="$(echo "$v1 - $v0" | bc)" \
    -v rq="$rq" -v rp50="$rp50" -v rp99="$rp99" -v re="$rerr" -v rr="$rrss" \
    -v vq="$vq" -v vp50="$vp50" -v vp99="$vp99" -v ve="$verr" -v vr="$vrss" -v c="$C" -v t="$T" 'BEGIN {
  printf "point queries, %d connections, %d s each, 127.0.0.1\n", c, t
  printf "%-10s %10s %12s %10s %10s %8s %10s\n", "server", "load_s", "requests/s", "p50", "p99", "errors", "RSS_MB"
  printf "%-10s %10.1f %12.0f %10s %10s %8d %10d\n", "rootline", rl, rq, rp50, rp99, re, rr
  printf "%-10s %10.1f %12.0f %10s %10s %8d %10d\n", "virtuoso", vl, vq, vp50, vp99, ve, vr
  if (vq > 0) printf "rootline / virtuoso: throughput %.2fx, load time %.2fx\n", rq / vq, rl / vl
}'
exit 0
