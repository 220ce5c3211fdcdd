#!/usr/bin/env bash
# The bash and zsh completions offer every option --help lists, and bash's loads and completes.
# usage: check_completions.sh ZKDUMP COMPLETIONS_DIR
set -euo pipefail
zkdump=$1 dir=$2
missing=0
for option in $("$zkdump" --help | grep -o -E '^ +(-[a-zA-Z],)?-{1,2}[a-zA-Z][a-z-]*' | tr ',' ' '); do
  for file in "$dir/zkdump.bash" "$dir/_zkdump"; do
    if ! grep -q -E -- "(^|[ '{,(\")*])$option([ \[,}'\"]|$)" "$file"; then
      echo "FAIL: $option is in --help but not in $(basename "$file")" >&2
      missing=1
    fi
  done
done
bash -n "$dir/zkdump.bash"
# Loaded, it completes an option and a value.
got=$(bash -c 'source "$1"; COMP_WORDS=(zkdump --metrics-l); COMP_CWORD=1; _zkdump; echo "${COMPREPLY[*]}"
               COMP_WORDS=(zkdump --group-by ty); COMP_CWORD=2; _zkdump; echo "${COMPREPLY[*]}"' _ "$dir/zkdump.bash")
[ "$got" = $'--metrics-listen\ntype' ] || { echo "FAIL: bash completion gave: $got" >&2; missing=1; }
if command -v zsh > /dev/null; then zsh -n "$dir/_zkdump"; fi
[ "$missing" -eq 0 ]
echo "bash and zsh completions offer every --help option"
