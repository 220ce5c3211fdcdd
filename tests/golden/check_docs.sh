#!/usr/bin/env bash
# The man page renders, and documents every option --help lists.
# usage: check_docs.sh ZKDUMP MANPAGE
set -euo pipefail
zkdump=$1 manpage=$2
rendered=$(MANWIDTH=120 man -l "$manpage" 2> /dev/null | col -b)
[ -n "$rendered" ] || { echo "FAIL: man -l $manpage renders nothing" >&2; exit 1; }
missing=0
for option in $("$zkdump" --help | grep -o -E '^ +(-[a-zA-Z],)?-{1,2}[a-zA-Z][a-z-]*' | tr ',' ' '); do
  if ! grep -q -- "$option" <<< "$rendered"; then
    echo "FAIL: $option is in --help but not in the man page" >&2
    missing=1
  fi
done
[ "$missing" -eq 0 ]
echo "every --help option is in the man page"
