#!/bin/sh
# w3c_http.sh: the W3C SPARQL 1.0 and 1.1 query evaluation tests
# (../shared/w3c-sparql-tests; entailment and SERVICE excluded) through the
# HTTP endpoint, in strict default-graph mode, one fresh store and server per
# test (tests/w3c/run_http.py).  Prints the pass rate per directory and
# fails when a suite falls below tests/w3c/floor.json (the rates measured
# when it was last raised: regressions fail, progress raises the floor).
. "$(dirname "$0")/lib.inc"
check "W3C suites through /sparql at or above the recorded floor" \
  $PY "$RL_SOURCE_DIR/tests/w3c/run_http.py" --rootline "$ROOTLINE" \
  --tests "$RL_SHARED_DIR/w3c-sparql-tests/sparql" --out "$WORK/w3c" --jobs 2 \
  --floor "$RL_SOURCE_DIR/tests/w3c/floor.json"
finish
