#!/bin/sh
# deploy/demo.sh: the README's first command.  Installs what is missing,
# builds rootline (Release), loads the demo data and the ontology into the
# embedded store (lmdb:./var/store), runs the demo query on it, then starts
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
./build/rootline --store "$STORE" import --quiet ontology ontology/*/ data/demo/*.ttl
echo
echo "Demo query (data/demo/three-levels.rq): department -> test panel -> signal channel"
./build/rootline --store "$STORE" query --format table -f data/demo/three-levels.rq
echo
./build/rootline --store "$STORE" stats
if [ "${ROOTLINE_DEMO_SERVE:-1}" != 0 ]; then
  echo
  echo "Starting the service: http://127.0.0.1:8080/healthz, /readyz, /metrics (Ctrl-C stops it)"
  exec ./build/rootline --store "$STORE" serve --listen 127.0.0.1:8080 --spool ./var/spool "$@"
fi
