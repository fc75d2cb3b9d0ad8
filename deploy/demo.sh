#!/bin/sh
# deploy/demo.sh: the README's first command.  Installs what is missing,
# builds rootline (Release), loads the demo data and the ontology into the
# embedded store (lmdb:./var/store) and runs the demo query on it.
# Idempotent: a second run rebuilds incrementally and re-imports nothing.
set -eu
cd "$(dirname "$0")/.."
sh deploy/debian-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
STORE="${ROOTLINE_STORE:-lmdb:./var/store}"
./build/rootline --store "$STORE" import --quiet ontology data/demo/*.ttl
echo
echo "Demo query (data/demo/three-levels.rq): department -> test panel -> signal channel"
./build/rootline --store "$STORE" query --format table -f data/demo/three-levels.rq
echo
./build/rootline --store "$STORE" stats
