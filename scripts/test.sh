#!/usr/bin/env bash
# What CI runs. Warnings are errors here (ZKDUMP_WERROR), never in a user's build.
#  0. clang-format: every C++ file as .clang-format lays it out;
#  1. the normal build (RelWithDebInfo) and the whole ctest suite;
#  2. a Release build (-O3 warns differently) of every target;
#  3. clang-tidy over src/ and include/ with the checks in .clang-tidy;
#  4. an ASan+UBSan build running the same ctest suite;
#  5. the libFuzzer targets (clang, ASan+UBSan), each fuzzed for FUZZ_SECONDS (default 60).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
git ls-files -z '*.cpp' '*.hpp' | xargs -0 clang-format --dry-run --Werror
strict=(-G Ninja -DZKDUMP_WERROR=ON)
cmake -S . -B build "${strict[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build -j "$jobs"
(cd build && ctest --output-on-failure -j "$jobs")
cmake -S . -B build-release "${strict[@]}" -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build-release -j "$jobs"
# clang-tidy reads clang's compile commands: a configured clang tree, nothing built.
CC=clang CXX=clang++ cmake -S . -B build-tidy -G Ninja -DCMAKE_EXPORT_COMPILE_COMMANDS=ON > /dev/null
run-clang-tidy -p build-tidy -quiet -j "$jobs" "$PWD/src/" > build-tidy/clang-tidy.log 2>&1 ||
  { grep -E "(warning|error):" build-tidy/clang-tidy.log | sort -u; echo "clang-tidy failed"; exit 1; }
cmake -S . -B build-sanitize "${strict[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZKDUMP_SANITIZE=ON > /dev/null
cmake --build build-sanitize -j "$jobs"
# A small quarantine: ASan holds freed memory back (256 MB by default), which the hostile-input
# test's RSS bound would count as zkdump's.
(cd build-sanitize && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:quarantine_size_mb=16 \
  UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j "$jobs")
CC=clang CXX=clang++ cmake -S . -B build-fuzz "${strict[@]}" -DZKDUMP_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFUZZ_SECONDS="${FUZZ_SECONDS:-60}" > /dev/null
cmake --build build-fuzz -j "$jobs"
(cd build-fuzz && ctest --output-on-failure -j "$jobs")
