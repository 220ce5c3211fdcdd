#!/usr/bin/env bash
# The exporter behind --web-config, end to end: zkdump captures a real ZooKeeper server's traffic
# on lo after -Z nobody and serves its metrics through TLS with basic auth (certificates made
# here with openssl, the hash with htpasswd); a real Prometheus scrapes it with its tls_config
# and basic_auth and must see every request the kazoo clients sent. curl without a password,
# with a wrong one and over plain HTTP is refused, on every endpoint. Then SIGHUP switches to a
# file requiring a client certificate signed by the test's CA with an allowed SAN: curl without
# one, with a self-signed one and with one of another SAN is refused, Prometheus (which sends
# its certificate) scrapes on. A broken file on SIGHUP leaves the last one in force. A flood of
# wrong passwords gets 429s, prints a bounded number of lines and never the password.
# usage: metrics_web_config.sh ZKDUMP REPO
set -euo pipefail
zkdump=$1 repo=$2
source "$repo/scripts/lib/zk_env.sh"
source "$repo/scripts/lib/tls_env.sh"
work=$(mktemp -d)
chmod 755 "$work"
zkdump_pid= prometheus_pid=
cleanup() {
  if [ -n "$zkdump_pid" ]; then kill "$zkdump_pid" 2>/dev/null || true; fi
  if [ -n "$prometheus_pid" ]; then kill "$prometheus_pid" 2>/dev/null || true; wait "$prometheus_pid" 2>/dev/null || true; fi
  stop_zk "$work/zk"
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# A CA, the server's certificate for 127.0.0.1, Prometheus's client certificate, one of another
# SAN from the same CA and a self-signed one.
tls=$work/tls
tls_ca "$tls"
tls_signed server "IP:127.0.0.1,DNS:localhost"
tls_signed prometheus "DNS:prometheus.test"
tls_signed stranger "DNS:stranger.test"
tls_self_signed selfsigned "DNS:prometheus.test"
password=$(openssl rand -hex 12)
printf '%s' "$password" > "$work/password"
hash=$(htpasswd -nbBC 10 "" "$password" | tr -d ':\n')
cat > "$work/web.yml" <<CFG
tls_server_config:
  cert_file: tls/server.crt
  key_file: tls/server.key
basic_auth_users:
  prometheus: '$hash'
http_server_config:
  headers:
    X-Content-Type-Options: nosniff
CFG

port=$(free_port) metrics_port=$(free_port) prometheus_port=$(free_port)
url=https://127.0.0.1:$metrics_port
ca=(--cacert "$tls/ca.crt")
client=(--cert "$tls/prometheus.crt" --key "$tls/prometheus.key")
start_zk "$work/zk" "$port"
"$zkdump" -i lo --port "$port" --stats -Z nobody --metrics-listen "127.0.0.1:$metrics_port" \
  --web-config "$work/web.yml" > "$work/stats.txt" 2> "$work/zkdump.err" &
zkdump_pid=$!
wait_for_http "$url/" "${ca[@]}" -u "prometheus:$password" || fail "no metrics endpoint: $(cat "$work/zkdump.err")"

status_of() { curl -s -o /dev/null -w '%{http_code}' -m 5 "$@" || true; }
refused() { [[ $1 =~ ^(401|429)$ ]]; }  # 429: a guess right after another is not checked
for path in / /metrics /stats.json; do
  [ "$(status_of "${ca[@]}" "$url$path")" = 401 ] || fail "$path answered without a password"
  refused "$(status_of "${ca[@]}" -u prometheus:wrong "$url$path")" || fail "$path answered a wrong password"
  refused "$(status_of "${ca[@]}" -u "nobody:$password" "$url$path")" || fail "$path answered an unknown user"
  [ "$(status_of "${ca[@]}" -u "prometheus:$password" "$url$path")" = 200 ] || fail "$path refused the password"
  [ "$(status_of "http://127.0.0.1:$metrics_port$path")" != 200 ] || fail "$path answered plain HTTP"
done
sleep 2  # past the idle time after the last check: a wrong password is checked, and 401
[ "$(status_of "${ca[@]}" -u prometheus:wrong "$url/")" = 401 ] || fail "a wrong password, checked, is not 401"
headers=$(curl -s -D - -o /dev/null "${ca[@]}" "$url/metrics")
grep -qi '^WWW-Authenticate: Basic realm="zkdump"' <<< "$headers" || fail "401 without WWW-Authenticate: $headers"
grep -qi '^X-Content-Type-Options: nosniff' <<< "$headers" || fail "the configured header is missing: $headers"

cat > "$work/prometheus.yml" <<CFG
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: zkdump
    scheme: https
    tls_config:
      ca_file: $tls/ca.crt
      cert_file: $tls/prometheus.crt
      key_file: $tls/prometheus.key
    basic_auth:
      username: prometheus
      password_file: $work/password
    static_configs:
      - targets: ["127.0.0.1:$metrics_port"]
CFG
start_prometheus "$work" "$prometheus_port"
prometheus_pid=$PROMETHEUS_PID

# Prometheus's view, once its scrapes have caught up with what the clients sent since zkdump
# started; and its last scrape newer than AFTER (epoch seconds).
prometheus_agrees() {  # AFTER SENT_FILE...
  "$ZK_PYTHON" - "$prometheus_port" "$@" <<'PY'
import collections, json, sys, time, urllib.parse, urllib.request
port, after, files = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
sent = collections.Counter()
for name in files:
    data = json.load(open(name))
    sent.update(data.get("sent", data))

def query(expression):
    url = "http://127.0.0.1:%s/api/v1/query?%s" % (port, urllib.parse.urlencode({"query": expression}))
    answer = json.load(urllib.request.urlopen(url, timeout=5))
    assert answer["status"] == "success", answer
    return {sample["metric"].get("op", ""): float(sample["value"][1]) for sample in answer["data"]["result"]}

deadline = time.time() + 30
while True:
    requests = {op: int(count) for op, count in query("sum by (op) (zkdump_requests_total)").items()}
    requests.pop("ping", None)
    up = query('up{job="zkdump"}').get("", 0)
    scraped = query('timestamp(up{job="zkdump"})').get("", 0)
    if (requests == dict(sent) and up == 1 and scraped > after) or time.time() > deadline:
        break
    time.sleep(1)
if up != 1 or scraped <= after:
    sys.exit("FAIL: Prometheus's scrape is down (up=%s, last at %s, wanted after %s)" % (up, scraped, after))
if requests != dict(sent):
    sys.exit("FAIL: Prometheus has requests %s, the clients sent %s" % (requests, dict(sent)))
print("Prometheus scraped through TLS and basic auth: %d requests as sent" % sum(requests.values()))
PY
}
"$ZK_PYTHON" "$repo/scripts/traffic/kazoo_all_ops.py" "127.0.0.1:$port" > "$work/all_ops.json" 2> "$work/all_ops.log"
prometheus_agrees "$(date +%s)" "$work/all_ops.json"

# A flood of wrong passwords: at most 10 checked a second, the rest 429; a bounded log.
flood_start=$(date +%s)
flooders=()
for flooder in $(seq 1 8); do
  (for _ in $(seq 1 10); do status_of "${ca[@]}" -u "prometheus:guess$RANDOM" "$url/metrics"; echo; done > "$work/flood.$flooder") &
  flooders+=($!)
done
for flooder in "${flooders[@]}"; do wait "$flooder" || true; done
cat "$work"/flood.[0-9]* > "$work/flood.codes"
flood_seconds=$(( $(date +%s) - flood_start + 1 ))
throttled=$(grep -c '^429$' "$work/flood.codes" || true)
denied=$(grep -c '^401$' "$work/flood.codes" || true)
[ "$((throttled + denied))" -eq 80 ] || fail "wrong passwords answered $(sort "$work/flood.codes" | uniq -c | tr '\n' ' ')"
[ "$throttled" -gt 0 ] || fail "80 wrong passwords in ${flood_seconds}s, none throttled"
[ "$(status_of "${ca[@]}" -u "prometheus:$password" "$url/metrics")" = 200 ] || fail "the right password is throttled too"
refusal_lines=$(grep -c 'metrics server: refused' "$work/zkdump.err" || true)
[ "$refusal_lines" -le $((flood_seconds + 10)) ] || fail "$refusal_lines refusal lines for 80 refusals in ${flood_seconds}s"
grep -q 'more refused since the last line' "$work/zkdump.err" || fail "held-back refusals not counted: $(cat "$work/zkdump.err")"
if grep -q -F -e "$password" -e "$hash" "$work/zkdump.err"; then fail "a secret on standard error"; fi
echo "wrong passwords: $denied answered 401, $throttled throttled (429), $refusal_lines log lines in ${flood_seconds}s"

# SIGHUP: now a client certificate from the CA with an allowed SAN is required too.
cat > "$work/web.yml" <<CFG
tls_server_config:
  cert_file: tls/server.crt
  key_file: tls/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: tls/ca.crt
  client_allowed_sans: [prometheus.test]
  min_version: TLS12
basic_auth_users:
  prometheus: '$hash'
CFG
reloaded_at=$(date +%s)
kill -HUP "$zkdump_pid"
for _ in $(seq 1 50); do grep -q 'reloaded' "$work/zkdump.err" && break; sleep 0.1; done
grep -q "web.yml: reloaded" "$work/zkdump.err" || fail "no reload: $(cat "$work/zkdump.err")"
[ "$(status_of "${ca[@]}" -u "prometheus:$password" "$url/metrics")" = 000 ] || fail "served without a client certificate"
[ "$(status_of "${ca[@]}" --cert "$tls/selfsigned.crt" --key "$tls/selfsigned.key" -u "prometheus:$password" "$url/metrics")" = 000 ] ||
  fail "served a self-signed client certificate"
[ "$(status_of "${ca[@]}" --cert "$tls/stranger.crt" --key "$tls/stranger.key" -u "prometheus:$password" "$url/metrics")" = 403 ] ||
  fail "served a certificate whose SAN is not allowed"
[ "$(status_of "${ca[@]}" "${client[@]}" "$url/metrics")" = 401 ] || fail "a client certificate let in without a password"
[ "$(status_of "${ca[@]}" "${client[@]}" -u "prometheus:$password" "$url/metrics")" = 200 ] || fail "refused the right certificate and password"
"$ZK_PYTHON" "$repo/scripts/traffic/pipelined_load.py" "127.0.0.1:$port" 3 2000 > "$work/load.json" 2> "$work/load.log"
prometheus_agrees "$reloaded_at" "$work/all_ops.json" "$work/load.json"

# A broken file on SIGHUP: refused, the last one stays.
printf 'tls_server_config:\n  cert_file: tls/server.crt\n  key_file: tls/server.key\n  client_auth: Yes\n' > "$work/web.yml"
kill -HUP "$zkdump_pid"
for _ in $(seq 1 50); do grep -q 'not reloaded' "$work/zkdump.err" && break; sleep 0.1; done
grep -q "not reloaded, the previous one stays: .*web.yml:4: unknown key client_auth in tls_server_config" "$work/zkdump.err" ||
  fail "a broken file on SIGHUP: $(cat "$work/zkdump.err")"
[ "$(status_of "${ca[@]}" -u "prometheus:$password" "$url/metrics")" = 000 ] || fail "the broken file dropped the client certificate rule"
[ "$(status_of "${ca[@]}" "${client[@]}" -u "prometheus:$password" "$url/metrics")" = 200 ] || fail "the broken file stopped the server"

# VerifyClientCertIfGiven: no certificate is let in, a given one must be the CA's.
cat > "$work/web.yml" <<CFG
tls_server_config:
  cert_file: tls/server.crt
  key_file: tls/server.key
  client_auth_type: VerifyClientCertIfGiven
  client_ca_file: tls/ca.crt
basic_auth_users:
  prometheus: '$hash'
CFG
kill -HUP "$zkdump_pid"
for _ in $(seq 1 50); do [ "$(grep -c 'web.yml: reloaded' "$work/zkdump.err")" -ge 2 ] && break; sleep 0.1; done
[ "$(status_of "${ca[@]}" -u "prometheus:$password" "$url/metrics")" = 200 ] || fail "VerifyClientCertIfGiven refused no certificate"
[ "$(status_of "${ca[@]}" "${client[@]}" -u "prometheus:$password" "$url/metrics")" = 200 ] || fail "VerifyClientCertIfGiven refused the CA's certificate"
[ "$(status_of "${ca[@]}" --cert "$tls/selfsigned.crt" --key "$tls/selfsigned.key" -u "prometheus:$password" "$url/metrics")" = 403 ] ||
  fail "VerifyClientCertIfGiven let a self-signed certificate in"

kill -INT "$zkdump_pid"
status=0
wait "$zkdump_pid" || status=$?
zkdump_pid=
[ "$status" -eq 0 ] || fail "zkdump exited $status: $(cat "$work/zkdump.err")"
grep -q " 0 dropped by kernel" "$work/zkdump.err" || fail "kernel drops: $(cat "$work/zkdump.err")"

# A port alone binds 127.0.0.1 and says so; a wide address without a web config is warned about.
kill "$prometheus_pid"; wait "$prometheus_pid" 2>/dev/null || true
prometheus_pid=
metrics_port=$(free_port)
"$zkdump" -r "$repo/pcaps/kazoo_all_ops.pcap" --metrics-listen "$metrics_port" > /dev/null 2> "$work/loopback.err" &
zkdump_pid=$!
wait_for_http "http://127.0.0.1:$metrics_port/" || fail "no endpoint on 127.0.0.1: $(cat "$work/loopback.err")"
ss -Hltn "sport = :$metrics_port" | awk '{print $4}' | grep -qx "127.0.0.1:$metrics_port" ||
  fail "--metrics-listen PORT bound $(ss -Hltn "sport = :$metrics_port")"
grep -q "metrics on 127.0.0.1:$metrics_port only; --metrics-listen 0.0.0.0:$metrics_port" "$work/loopback.err" ||
  fail "no word on the loopback default: $(cat "$work/loopback.err")"
kill -INT "$zkdump_pid"; wait "$zkdump_pid" || true
metrics_port=$(free_port)
"$zkdump" -r "$repo/pcaps/kazoo_all_ops.pcap" --metrics-listen "0.0.0.0:$metrics_port" > /dev/null 2> "$work/wide.err" &
zkdump_pid=$!
wait_for_http "http://127.0.0.1:$metrics_port/" || fail "no endpoint on 0.0.0.0: $(cat "$work/wide.err")"
grep -q "in clear to any host, with no authentication" "$work/wide.err" || fail "no warning: $(cat "$work/wide.err")"
kill -INT "$zkdump_pid"; wait "$zkdump_pid" || true
zkdump_pid=
echo "web config: TLS, basic auth and client certificates enforced, reloaded on SIGHUP, Prometheus scraped through them"
