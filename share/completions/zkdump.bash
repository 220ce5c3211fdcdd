# bash completion for zkdump(1)
_zkdump() {
  local cur prev
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  case $prev in
    -r|-w|--web-config|--tls-keylog)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return ;;
    -i)
      mapfile -t COMPREPLY < <(compgen -W "any $(ls /sys/class/net 2>/dev/null)" -- "$cur")
      return ;;
    -Z)
      mapfile -t COMPREPLY < <(compgen -u -- "$cur")
      return ;;
    --group-by)
      mapfile -t COMPREPLY < <(compgen -W "path type client" -- "$cur")
      return ;;
    --sort-by)
      mapfile -t COMPREPLY < <(compgen -W "avg p95 p99" -- "$cur")
      return ;;
    --op)
      mapfile -t COMPREPLY < <(compgen -W "connect notification create delete exists getData setData getACL setACL getChildren sync ping getChildren2 check multi create2 reconfig checkWatches removeWatches createContainer deleteContainer createTTL multiRead auth setWatches sasl getEphemerals getAllChildrenNumber setWatches2 addWatch whoAmI createSession closeSession error" -- "$cur")
      return ;;
    -c|-s|-B|--port|--election-port|--quorum-port|--etcd-port|--ensemble-size|--pending-after|--count-requests|\
    --measure-latency|--stats-interval|--stats-limit|--stats-keys|--aggregation-depth|--path|--session|\
    --client|--slower-than|--max-frame|--max-connections|--idle-timeout|--max-buffer|\
    --metrics-listen|--metrics-top|--watch-storm|--connection-storm|--size-alert)
      return ;;  # a value of the user's
  esac
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "-h --help --version -r -i -w -Z -D -n --election-port --ensemble-size
      --quorum-port --etcd-port --omni --only-ports --port --tls-keylog -c -l -p --include-pings -v --json --unpaired
      --pending-after --show-credentials --show-data -t -tt -ttt -tttt -ttttt -q --count-requests
      --measure-latency --group-by --sort-by --stats --top --stats-interval --stats-limit --stats-keys
      --aggregation-depth --path --op --session --client --errors --slower-than -s -B
      --max-frame --max-connections --idle-timeout --max-buffer --metrics-listen
      --metrics-top --web-config --analyze --no-analyze --trace-writes --watch-storm --session-health
      --connection-storm --size-alert" -- "$cur")
  fi
}
complete -F _zkdump zkdump
