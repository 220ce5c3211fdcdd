#!/usr/bin/env bash
# Builds zkdump three times and tests each: normal, ASan+UBSan (the same ctest suite), and the
# libFuzzer targets (clang, ASan+UBSan), each fuzzed for FUZZ_SECONDS (default 60).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build -j "$jobs"
(cd build && ctest --output-on-failure -j "$jobs")
cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZKDUMP_SANITIZE=ON > /dev/null
cmake --build build-sanitize -j "$jobs"
# A small quarantine: ASan holds freed memory back (256 MB by default), which the hostile-input
# test's RSS bound would count as zkdump's.
(cd build-sanitize && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:quarantine_size_mb=16 \
  UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j "$jobs")
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DZKDUMP_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFUZZ_SECONDS="${FUZZ_SECONDS:-60}" > /dev/null
cmake --build build-fuzz -j "$jobs"
(cd build-fuzz && ctest --output-on-failure -j "$jobs")
