#!/usr/bin/env bash
# The man page renders, documents every option --help lists, names the JSON schema version and
# every kind the schema has, and lists exactly the exit statuses src/app/exit_codes.hpp defines.
# usage: check_docs.sh ZKDUMP MANPAGE SCHEMA EXIT_CODES_HPP
set -euo pipefail
zkdump=$1 manpage=$2 schema=$3 exit_codes=$4
rendered=$(MANWIDTH=120 man -l "$manpage" 2> /dev/null | col -b)
[ -n "$rendered" ] || { echo "FAIL: man -l $manpage renders nothing" >&2; exit 1; }
missing=0
for option in $("$zkdump" --help | grep -o -E '^ +(-[a-zA-Z],)?-{1,2}[a-zA-Z][a-z-]*' | tr ',' ' '); do
  if ! grep -q -- "$option" <<< "$rendered"; then
    echo "FAIL: $option is in --help but not in the man page" >&2
    missing=1
  fi
done
version=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["$id"].rsplit(":v", 1)[1])' "$schema")
if ! grep -q "schema version $version" <<< "$(tr -s ' \t\n' ' ' <<< "$rendered")"; then
  echo "FAIL: the man page does not name JSON schema version $version" >&2
  missing=1
fi
for kind in $(python3 -c 'import json,sys
s = json.load(open(sys.argv[1]))
print(" ".join(d["properties"]["kind"]["const"] for d in s["$defs"].values()
               if "kind" in d.get("properties", {}) and "const" in d["properties"]["kind"]))' "$schema"); do
  if ! grep -q -E "^ {7}($kind|$kind, |.*, $kind)\b" <<< "$rendered"; then
    echo "FAIL: JSON kind $kind is in the schema but not in the man page" >&2
    missing=1
  fi
done
in_code=$(grep -o -E 'kExit[A-Za-z]+ = [0-9]+' "$exit_codes" | awk '{print $3}' | sort -n | tr '\n' ' ')
in_man=$(awk '/^\.SH EXIT STATUS/{on=1; next} /^\.SH/{on=0} on && /^\.B [0-9]+$/{print $2}' "$manpage" | sort -n | tr '\n' ' ')
if [ "$in_code" != "$in_man" ]; then
  echo "FAIL: exit statuses in the code ($in_code) and in the man page ($in_man) differ" >&2
  missing=1
fi
[ "$missing" -eq 0 ]
echo "every --help option, the JSON schema version, every JSON kind and every exit status are in the man page"
