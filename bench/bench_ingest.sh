#!/bin/sh
# bench_ingest.sh: clinical ingest throughput (parse, key, mask, map, commit)
# for ASTM E1394, HL7 ORU^R01 and the QC-results CSV export, each RESULTS
# results (default 1,000,000) in FILES files (default 10), into one lmdb
# store that holds the site's masters (so every result's channel lookup
# succeeds).  Prints results/s, triples/s and peak RSS per format.
#
#   sh bench/bench_ingest.sh [RESULTS] [FILES] [WORKDIR]
#
# Needs the Release build (build-release/rootline) and /usr/bin/python3.
set -eu
cd "$(dirname "$0")/.."
N=${1:-1000000}
F=${2:-10}
W=${3:-/tmp/rl-bench-ingest}
R=./build-release/rootline
[ -x "$R" ] || { echo "build first: cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release && cmake --build build-release" >&2; exit 1; }
rm -rf "$W"
mkdir -p "$W/masters"
/usr/bin/python3 data/synth/gen_site.py "$W/site" --days 1 --no-hl7 >/dev/null
cp "$W/site/his_departments.csv" "$W/site/lis_tests.csv" "$W/site/lis_panels.csv" "$W/site/instruments.csv" "$W/masters/"
for k in astm oru csv; do
  /usr/bin/python3 bench/gen_results.py $k "$N" "$F" "$W/$k" >/dev/null
done
printf '%-6s %10s %8s %12s %12s %10s %12s\n' format results wall_s results/s triples/s MB_input peak_RSS_MB
for k in astm oru csv; do
  rm -rf "$W/store"
  "$R" --store "lmdb:$W/store" import --quiet "$W/masters" >/dev/null
  /usr/bin/time -f '%e %M' -o "$W/time" "$R" --store "lmdb:$W/store" import --quiet "$W/$k" >"$W/out"
  wall=$(cut -d' ' -f1 "$W/time"); rss=$(cut -d' ' -f2 "$W/time")
  triples=$(awk '/imported/ {s += $3} END {print s}' "$W/out")
  mb=$(du -sm "$W/$k" | cut -f1)
  awk -v k=$k -v n="$N" -v w="$wall" -v t="$triples" -v mb="$mb" -v rss="$rss" \
    'BEGIN { printf "%-6s %10d %8.2f %12.0f %12.0f %10d %12.0f\n", k, n, w, n / w, t / w, mb, rss / 1024 }'
done
