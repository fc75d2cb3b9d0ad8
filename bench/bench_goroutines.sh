#!/bin/sh
# bench_goroutines.sh: parse + group + classify a debug=2 dump of 100,000
# goroutines (made by bench/go/bigdump with Debian's golang-go), against
# Debian's panicparse (a Go parser and grouper) and `grep -c` as the I/O floor.
# usage: sh bench/bench_goroutines.sh [ROOTLINE] [N]   (see bench/README.md)
set -eu
R=${1:-./build-release/rootline}
N=${2:-100000}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export GOCACHE="$W/gocache" GOPATH="$W/gopath" GOPROXY=off GO111MODULE=off GOFLAGS=
go build -o "$W/bigdump" "$(dirname "$0")/go/bigdump/main.go"
"$W/bigdump" -n "$N" -o "$W/dump.txt"
MB=$(awk -v b="$(stat -c %s "$W/dump.txt")" 'BEGIN { printf "%.1f", b / 1048576 }')
echo "dump: $N goroutines, $MB MB"
run() { # name command... : best of 3 wall times, peak RSS
  best=""
  for i in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$W/t" "$@" >"$W/o" 2>/dev/null || true
    t=$(cut -d' ' -f1 "$W/t"); rss=$(cut -d' ' -f2 "$W/t")
    if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$t; brss=$rss; fi
  done
  echo "$best $brss"
}
g=$(run grep -c '^goroutine ' "$W/dump.txt")
r=$(run "$R" goroutines analyze --json "$W/dump.txt")
p=$(run panicparse -parse=false -rebase=false -no-color "$W/dump.txt")
"$R" goroutines analyze --json "$W/dump.txt" >"$W/a.json"
echo
echo "| tool | seconds (best of 3) | MB/s | peak RSS MB | RSS / input |"
echo "|---|---:|---:|---:|---:|"
for row in "grep -c (I/O floor):$g" "rootline goroutines analyze --json:$r" "panicparse (Debian, Go):$p"; do
  name=${row%%:*}; v=${row#*:}; t=${v% *}; rss=${v#* }
  awk -v n="$name" -v t="$t" -v rss="$rss" -v mb="$MB" 'BEGIN {
    printf "| %s | %.2f | %.0f | %.0f | %.2f |\n", n, t, (t > 0 ? mb / t : 0), rss / 1024, rss / 1024 / mb }'
done
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("\nrootline found", d["goroutines"], "goroutines in", d["groups"], "groups")' "$W/a.json"
