#!/usr/bin/env bash
# Captures ZooKeeper and etcd on ports nobody told zkdump about, beside unrelated TCP that must
# not be mistaken for them, for protocol detection's tests:
#   ZooKeeper (Debian's zookeeper) on 22181: kazoo writes, reads and watches, four-letter words;
#   etcd (etcd-server, etcdctl) on 22379: puts, gets, a watch, the JSON gateway through curl;
#   HTTP on 28080 (python3 -m http.server): a download of DOWNLOAD_MIB (1 MiB by default), most
#   of the capture's bytes;
#   Redis (redis-server) on 26379: redis-cli commands and a short redis-benchmark;
#   TLS on 28443 (openssl s_server): an HTTPS request, no hint port, so not bound to anything;
#   SSH on 28022 (sshd with a throwaway host key): a client's key exchange, refused at auth.
# Needs root (tcpdump on lo), redis-server and openssh-server (apt-get install them).
# Usage: scripts/make_detection_capture.sh [OUT.pcap]: pcaps/any_port.pcap by default. The
# benchmark's mixed capture, in Ethernet-sized packets (LO_MTU sets lo's MTU for the capture and
# restores it after, with segmentation offload off; loopback's own 64 KiB packets would make
# every per-packet cost vanish):
#   LO_MTU=1500 DOWNLOAD_MIB=64 scripts/make_detection_capture.sh bench/data/mixed.pcap
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/scripts/lib/zk_env.sh"
work=$(mktemp -d)
pids=()
lo_mtu=$(cat /sys/class/net/lo/mtu)
lo_gso_segs=$(ip -d link show lo | grep -o 'gso_max_segs [0-9]*' | cut -d' ' -f2)
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -z "${LO_MTU:-}" ] || ip link set lo mtu "$lo_mtu" gso_max_segs "$lo_gso_segs"
  stop_zk "$work/zk"
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
background() { "$@" & pids+=("$!"); }

zk_port=22181 etcd_port=22379 http_port=28080 redis_port=26379 tls_port=28443 ssh_port=28022
export ETCDCTL_API=3
etcdctl=(etcdctl --endpoints="127.0.0.1:$etcd_port")

# One MTU per packet, as on Ethernet: no segmentation offload merging them.
[ -z "${LO_MTU:-}" ] || ip link set lo mtu "$LO_MTU" gso_max_segs 1
# The servers first, outside the capture: only their traffic is wanted.
start_zk "$work/zk" "$zk_port"
background etcd --name detect --data-dir "$work/etcd" --listen-client-urls "http://127.0.0.1:$etcd_port" \
  --advertise-client-urls "http://127.0.0.1:$etcd_port" --listen-peer-urls http://127.0.0.1:22380 \
  --initial-advertise-peer-urls http://127.0.0.1:22380 \
  --initial-cluster detect=http://127.0.0.1:22380 > "$work/etcd.log" 2>&1
for _ in $(seq 1 100); do "${etcdctl[@]}" endpoint health > /dev/null 2>&1 && break; sleep 0.1; done
mkdir -p "$work/www"
head -c $((${DOWNLOAD_MIB:-1} << 20)) /dev/urandom > "$work/www/blob.bin"
background "$ZK_PYTHON" -m http.server --bind 127.0.0.1 --directory "$work/www" "$http_port" > "$work/http.log" 2>&1
background redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no > "$work/redis.log" 2>&1
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 \
  -keyout "$work/key.pem" -out "$work/cert.pem" > /dev/null 2>&1
background openssl s_server -accept "$tls_port" -cert "$work/cert.pem" -key "$work/key.pem" -www -quiet
ssh-keygen -q -t ed25519 -N "" -f "$work/ssh_host_key"
mkdir -p /run/sshd
background /usr/sbin/sshd -D -f /dev/null -p "$ssh_port" -o ListenAddress=127.0.0.1 \
  -o HostKey="$work/ssh_host_key" -o PidFile=none -o PasswordAuthentication=no
sleep 1

# Not immediate mode: at Ethernet sizes the download's packets come faster than tcpdump writes
# them one by one. The ring's blocks reach it within its 1 s timeout, waited for at the end.
tcpdump -i lo -s 0 -B 262144 -w "$work/any_port.pcap" "tcp portrange 22000-29000" 2> "$work/tcpdump.log" &
capture_pid=$!
for _ in $(seq 1 50); do grep -q "listening on" "$work/tcpdump.log" && break; sleep 0.1; done
sleep 1
"$ZK_PYTHON" - "127.0.0.1:$zk_port" <<'PY'
import sys
from kazoo.client import KazooClient
zk = KazooClient(hosts=sys.argv[1], timeout=10)
zk.start()
zk.create("/detect", b"found by its bytes")
zk.get("/detect", watch=lambda event: None)
for i in range(3):
    zk.set("/detect", b"value %d" % i)
    zk.get("/detect", watch=lambda event: None)
zk.get_children("/")
zk.delete("/detect")
zk.stop()
PY
"$ZK_PYTHON" "$repo/scripts/traffic/four_letter_words.py" "127.0.0.1:$zk_port"
background "${etcdctl[@]}" watch --prefix /detect/ > "$work/watch.out" 2>&1
sleep 0.5
"${etcdctl[@]}" put /detect/a alpha > /dev/null
"${etcdctl[@]}" get /detect/a > /dev/null
"${etcdctl[@]}" del /detect/a > /dev/null
curl -s -X POST "http://127.0.0.1:$etcd_port/v3/kv/range" -d '{"key": "L2RldGVjdC9h"}' > /dev/null
curl -s --limit-rate 32M -o /dev/null "http://127.0.0.1:$http_port/blob.bin"  # tcpdump keeps up
redis-cli -p "$redis_port" set detect found > /dev/null
redis-cli -p "$redis_port" get detect > /dev/null
redis-benchmark -p "$redis_port" -n 2000 -c 4 -t set,get -q > /dev/null
curl -sk -o /dev/null "https://localhost:$tls_port/"
ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -p "$ssh_port" \
  nobody@127.0.0.1 true > /dev/null 2>&1 || true  # refused at auth, after the key exchange
sleep 2.5
kill -INT "$capture_pid"
wait "$capture_pid" || true
grep -q "^0 packets dropped by kernel" "$work/tcpdump.log" || { cat "$work/tcpdump.log" >&2; exit 1; }
out=${1:-$repo/pcaps/any_port.pcap}
mv "$work/any_port.pcap" "$out"
echo "captured $out: $(stat -c %s "$out") bytes"
