#!/usr/bin/env bash
# Credentials never appear in any output mode unless --show-credentials asks for them; the
# application's data (znode data, txn data, etcd values) only with --show-data or -v.
# usage: check_redaction.sh ZKDUMP PCAP_DIR
set -euo pipefail
zkdump=$1 pcaps=$2
secrets='alice:secret|hunter2|bobsecret|username="bob"'
for options in "" "-v -p" "--json" "--json -v" "--unpaired -v"; do
  # shellcheck disable=SC2086 # options are a list
  for pcap in "$pcaps"/*.pcap; do
    if "$zkdump" -q $options -r "$pcap" | grep -a -E "$secrets"; then
      echo "FAIL: a credential shows in zkdump $options -r $pcap" >&2
      exit 1
    fi
  done
done
"$zkdump" -q --show-credentials -r "$pcaps/kazoo_all_ops.pcap" | grep -q 'credential=alice:secret' ||
  { echo "FAIL: --show-credentials does not show the digest credential" >&2; exit 1; }
"$zkdump" -q --show-credentials --json -r "$pcaps/sasl.pcap" | grep -q 'username=\\"bob\\"' ||
  { echo "FAIL: --show-credentials does not show the SASL token" >&2; exit 1; }
# Data: no preview without --show-data or -v, in text or JSON, on any capture, ZAB and etcd too.
for pcap in "$pcaps"/*.pcap; do
  args=()
  [ -f "${pcap%.pcap}.args" ] && read -r -a args < "${pcap%.pcap}.args"
  for options in "" "--json" "--stats --analyze"; do
    # shellcheck disable=SC2086 # options are a list
    if "$zkdump" -q $options "${args[@]}" -r "$pcap" | grep -a -E "(data|value)='|\"(data|value)\":"; then
      echo "FAIL: data shows in zkdump $options ${args[*]} -r $pcap" >&2
      exit 1
    fi
  done
done
read -r -a workload < "$pcaps/quorum_workload.args"
read -r -a etcd < "$pcaps/etcd_kv.args"
for shown in --show-data -v; do
  "$zkdump" -q $shown -r "$pcaps/kazoo_all_ops.pcap" | grep -q "data='" ||
    { echo "FAIL: $shown shows no znode data" >&2; exit 1; }
  "$zkdump" -q $shown --json "${workload[@]}" -r "$pcaps/quorum_workload.pcap" |
    grep -q '"kind":"message".*"txn":"setData".*"data":' ||
    { echo "FAIL: $shown shows no txn data" >&2; exit 1; }
  "$zkdump" -q $shown "${etcd[@]}" -r "$pcaps/etcd_kv.pcap" | grep -q "PutRequest(.*value='alpha'" ||
    { echo "FAIL: $shown shows no etcd value" >&2; exit 1; }
done
echo "no credential in any output mode; --show-credentials shows them; data only with --show-data or -v"
