#!/bin/sh
# tests/run-all.sh: the README's second command, and what CI runs.
# Installs what is missing, checks that the Release build is warning-free,
# then builds with ASan+UBSan and runs every test (CUnit units and the
# integration tests that drive the real binary) with ctest.
set -eu
cd "$(dirname "$0")/.."
sh deploy/debian-deps.sh
JOBS=$(nproc)
echo "== Release build (warnings are errors)"
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release -j"$JOBS" >/dev/null
echo "== ASan+UBSan build"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DROOTLINE_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$JOBS" >/dev/null
echo "== tests (ASan+UBSan)"
export RL_W3C_ROOTLINE="$PWD/build-release/rootline"
cd build-asan
ctest --output-on-failure -j"$JOBS" --timeout 1200
