#!/usr/bin/env bash
# The Debian package: cpack builds it with the Depends dpkg-shlibdeps finds and every file
# cmake --install puts in place. As root on a machine without zkdump installed (CI's fresh
# one), it is installed with dpkg -i, then zkdump --version, man zkdump and systemd-analyze
# verify on the unit must pass, and the unit's command, run as the unit runs it (a user of its
# own with CAP_NET_RAW alone), must capture, drop the capability and serve metrics; then the
# package is purged.
# usage: package_deb.sh BUILD_DIR REPO
set -euo pipefail
build=$1 repo=$2
source "$repo/scripts/lib/zk_env.sh"
work=$(mktemp -d)
zkdump_pid=
installed=
cleanup() {
  if [ -n "$zkdump_pid" ]; then kill "$zkdump_pid" 2>/dev/null || true; fi
  if [ -n "$installed" ]; then dpkg --purge zkdump > /dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$work/package" > "$work/cpack.log" 2>&1) || fail "cpack: $(tail "$work/cpack.log")"
deb=$(ls "$work"/package/zkdump_*.deb)
depends=$(dpkg-deb -f "$deb" Depends)
for library in libpcap0.8 libmicrohttpd12 libnghttp2-14 libfmt9 libncursesw6 libyaml-cpp0.7 libgnutls30 libcrypt1; do
  grep -q "$library" <<< "$depends" || fail "Depends lacks $library: $depends"
done
files=$(dpkg-deb -c "$deb" | awk '{print $6}')
for file in ./usr/bin/zkdump ./usr/share/man/man1/zkdump.1 ./usr/share/zkdump/zkdump.schema.json \
            ./usr/lib/systemd/system/zkdump@.service ./usr/share/zkdump/zkdump.default \
            ./usr/share/zkdump/prometheus/zkdump-alerts.yml \
            ./usr/share/bash-completion/completions/zkdump ./usr/share/zsh/vendor-completions/_zkdump; do
  grep -q -x -F "$file" <<< "$files" || fail "the package lacks $file"
done
echo "package: $(basename "$deb"), $(stat -c %s "$deb") bytes; Depends: $depends"

if [ "$(id -u)" != 0 ] || dpkg -s zkdump > /dev/null 2>&1; then
  echo "package: not installed (needs root, and no zkdump package already installed)"
  exit 0
fi
installed=yes
dpkg -i "$deb" > "$work/dpkg.log" 2>&1 || fail "dpkg -i: $(cat "$work/dpkg.log")"
[ "$(dpkg-query -W -f '${Status}' zkdump)" = "install ok installed" ] || fail "not configured"
/usr/bin/zkdump --version | grep -q "^zkdump " || fail "zkdump --version"
manual=$(MANWIDTH=100 man zkdump 2> /dev/null | col -b)
grep -q -- "--metrics-listen" <<< "$manual" || fail "man zkdump: $(head -5 <<< "$manual")"
mkdir "$work/units"
cp /usr/lib/systemd/system/zkdump@.service "$work/units/zkdump@lo.service"
systemd-analyze verify "$work/units/zkdump@lo.service" 2> "$work/verify.log" || fail "systemd-analyze verify: $(cat "$work/verify.log")"

# As the unit runs it: a user of its own holding CAP_NET_RAW alone, -Z naming that user.
port=$(free_port)
setpriv --reuid nobody --regid nogroup --clear-groups --inh-caps=-all,+net_raw --ambient-caps=+net_raw \
  --bounding-set=-all,+net_raw --no-new-privs \
  /usr/bin/zkdump -i lo -q -Z nobody --stats --metrics-listen "127.0.0.1:$port" > /dev/null 2> "$work/service.err" &
zkdump_pid=$!
wait_for_http "http://127.0.0.1:$port/metrics" || fail "the service-like zkdump serves no metrics: $(cat "$work/service.err")"
capabilities=$(awk '/^CapEff:/ {print $2}' "/proc/$zkdump_pid/status")
[ "$capabilities" = 0000000000000000 ] || fail "zkdump kept capabilities $capabilities after -Z"
# Read whole before grep: `curl | grep -q` under pipefail fails whenever grep, done at its first
# match, closes the pipe while curl still writes (curl exits 23): this test's old flake.
metrics=$(curl -sf "http://127.0.0.1:$port/metrics") || fail "no answer from /metrics"
grep -q '^zkdump_packets_total ' <<< "$metrics" || fail "no zkdump_packets_total"
kill -TERM "$zkdump_pid"
status=0
wait "$zkdump_pid" || status=$?
zkdump_pid=
[ "$status" -eq 0 ] || fail "zkdump exited $status on SIGTERM: $(cat "$work/service.err")"
echo "package: dpkg -i, zkdump --version, man zkdump and systemd-analyze verify pass; run as the unit runs it, zkdump drops CAP_NET_RAW and serves metrics"
