#!/bin/sh
# deploy/demo.sh: the README's first command.  Installs what is missing,
# builds rootline (Release), loads the demo data and the ontology into the
# embedded store (lmdb:./var/store) with a ten-day clinical site, runs the
# demo query and `rootline diagnose` on it, then starts
# the service on it (`rootline serve` on 127.0.0.1:8080, in the foreground;
# Ctrl-C stops it).  ROOTLINE_DEMO_SERVE=0 skips the service; extra
# arguments go to `serve` (e.g. --scrape URL,service=NAME).
# Idempotent: a second run rebuilds incrementally and re-imports nothing.
set -eu
cd "$(dirname "$0")/.."
sh deploy/debian-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
STORE="${ROOTLINE_STORE:-lmdb:./var/store}"
# the ontology (core and every pack's module folder), the demo graph, and a
# ten-day clinical site with a planted calibration problem (deterministic:
# regenerated files are identical, so a second run imports nothing)
/usr/bin/python3 data/synth/gen_site.py var/demo-site --scenario level3 --no-hl7 >/dev/null
./build/rootline --store "$STORE" import --quiet ontology $(find ontology -mindepth 1 -maxdepth 1 -type d | sort) \
  data/demo/*.ttl var/demo-site
echo
echo "Demo query (data/demo/three-levels.rq): department -> test panel -> signal channel"
./build/rootline --store "$STORE" query --format table -f data/demo/three-levels.rq
echo
./build/rootline --store "$STORE" stats
echo
echo "Causal trace of the demo site (rootline diagnose; --json for the whole answer):"
./build/rootline --store "$STORE" diagnose | head -12
if [ "${ROOTLINE_DEMO_SERVE:-1}" != 0 ]; then
  echo
  echo "Starting the service: http://127.0.0.1:8080/healthz, /readyz, /metrics (Ctrl-C stops it)"
  exec ./build/rootline --store "$STORE" serve --listen 127.0.0.1:8080 --spool ./var/spool "$@"
fi
