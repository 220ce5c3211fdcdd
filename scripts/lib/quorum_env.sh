# Helpers for scripts that run a real 3-server ensemble on 127.0.0.1 (Debian's zookeeper
# package): server N listens for clients on 2190+N, for ZAB on 2890+N and for elections on
# 3890+N. Set QUORUM_WORK to the directory the servers' configs, data and logs go under.
# shellcheck source=zk_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/zk_env.sh"

QUORUM_CAPTURE_FILTER="tcp portrange 2191-2193 or tcp portrange 2891-2893 or tcp portrange 3891-3893"

# server_line SID: server N's line in a config
server_line() {
  echo "server.$1=127.0.0.1:$((2890 + $1)):$((3890 + $1)):participant;127.0.0.1:$((2190 + $1))"
}

# start_server SID [JVM_FLAG...]: with the members QUORUM_MEMBERS names (default "1 2 3") and the
# lines QUORUM_CONFIG_EXTRA adds to its config, and the jars ZK_EXTRA_CLASSPATH names.
start_server() {
  local sid=$1 dir=$QUORUM_WORK/s$1 member
  mkdir -p "$dir/data"
  echo "$sid" > "$dir/data/myid"
  cat > "$dir/zoo.cfg" <<CFG
tickTime=500
initLimit=20
syncLimit=10
dataDir=$dir/data
admin.enableServer=false
4lw.commands.whitelist=*
extendedTypesEnabled=true
${QUORUM_CONFIG_EXTRA:-}
CFG
  for member in ${QUORUM_MEMBERS:-1 2 3}; do server_line "$member" >> "$dir/zoo.cfg"; done
  java "${@:2}" -Dzookeeper.log.dir="$dir" -Dzookeeper.root.logger=INFO,CONSOLE \
    -cp "$ZK_JAR${ZK_EXTRA_CLASSPATH:+:$ZK_EXTRA_CLASSPATH}" org.apache.zookeeper.server.quorum.QuorumPeerMain \
    "$dir/zoo.cfg" > "$dir/server.log" 2>&1 &
  echo $! > "$dir/server.pid"
}

mode_of() {  # mode_of SID: leader, follower, or nothing while the server is not serving
  "$ZK_PYTHON" - "$((2190 + $1))" <<'PY' 2>/dev/null || true
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
    s.sendall(b"srvr")
    reply = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        reply += chunk
    for line in reply.decode().splitlines():
        if line.startswith("Mode: "):
            print(line[6:])
except OSError:
    pass
PY
}

wait_for_leader() {  # wait_for_leader SID...: until one of them leads and the others follow; prints the leader
  for _ in $(seq 1 300); do
    local leader="" followers=0
    for sid in "$@"; do
      case "$(mode_of "$sid")" in
        leader) leader=$sid ;;
        follower) followers=$((followers + 1)) ;;
      esac
    done
    if [ -n "$leader" ] && [ "$followers" -eq $(($# - 1)) ]; then
      echo "$leader"
      return 0
    fi
    sleep 0.2
  done
  echo "no leader among $*" >&2
  return 1
}

stop_servers() {
  for sid in 1 2 3 4; do stop_zk "$QUORUM_WORK/s$sid"; done
}
