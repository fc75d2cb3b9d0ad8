#!/bin/sh
# w3c_http.sh: the W3C SPARQL 1.0 and 1.1 query evaluation tests
# (../shared/w3c-sparql-tests; entailment and SERVICE excluded) through the
# HTTP endpoint, in strict default-graph mode, one fresh store and server per
# test (tests/w3c/run_http.py).  Prints the pass rate per directory and
# fails when a suite falls below tests/w3c/floor.json (the rates measured
# when it was last raised: regressions fail, progress raises the floor).
# About 600 servers are started; under ASan that outlasts any sensible test
# timeout, so tests/run-all.sh points RL_W3C_ROOTLINE at the Release build
# (conformance does not depend on the sanitizers; the other service tests
# run the ASan binary).
. "$(dirname "$0")/lib.inc"
BIN=${RL_W3C_ROOTLINE:-$ROOTLINE}
[ -x "$BIN" ] || BIN=$ROOTLINE
echo "binary: $BIN"
check "W3C suites through /sparql and /update at or above the recorded floor" \
  $PY "$RL_SOURCE_DIR/tests/w3c/run_http.py" --rootline "$BIN" \
  --tests "$RL_SHARED_DIR/w3c-sparql-tests/sparql" --out "$WORK/w3c" --jobs "$(nproc)" \
  --floor "$RL_SOURCE_DIR/tests/w3c/floor.json"
finish
