#!/usr/bin/env bash
# A real apache2 on loopback with mod_coop: GET, POST, a 404 and a custom
# User-Agent requested with curl; the events the module wrote are checked
# field by field. Everything lives in a temporary directory: the config,
# the document root, the pid file, the logs and the event file.
# usage: apache_test.sh MOD_COOP.so CHECK_EVENTS.py
set -euo pipefail
module=$(realpath "$1")
check=$2
APACHE=${APACHE:-/usr/sbin/apache2}
MODDIR=${MODDIR:-/usr/lib/apache2/modules}
for p in "$APACHE" "$(command -v curl || true)" "$(command -v python3 || true)"; do
  if [[ -z "$p" || ! -x "$p" ]]; then
    echo "COOP-SKIP: apache2, curl or python3 not installed (apt-get install apache2 curl)"
    exit 0
  fi
done
[[ -f "$module" ]] || { echo "mod_coop not built at $module"; exit 1; }

tmp=$(mktemp -d /tmp/coop-apache.XXXXXX)
pid_file=$tmp/httpd.pid
cleanup() {
  if [[ -f "$pid_file" ]]; then kill "$(cat "$pid_file")" 2>/dev/null || true; fi
  if [[ -n "${receiver:-}" ]]; then kill "$receiver" 2>/dev/null || true; wait "$receiver" 2>/dev/null || true; fi
  if [[ -n "${server:-}" ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$tmp/htdocs"
printf 'hello from apache\n' > "$tmp/htdocs/index.html"
# As root, apache2 refuses to serve as root: children run as nobody, so the
# document root must be readable by all (the event file is opened as root at
# startup, before the switch).
user=$(id -un)
group=$(id -gn)
if [[ $(id -u) -eq 0 ]]; then
  user=nobody
  group=$(id -gn nobody 2>/dev/null || echo nogroup)
  chmod 755 "$tmp" "$tmp/htdocs"
  chmod 644 "$tmp/htdocs/index.html"
fi
cat > "$tmp/httpd.conf" <<CONF
ServerRoot "$tmp"
ServerName coop-test.local
Listen 127.0.0.1:$port
PidFile $pid_file
ErrorLog $tmp/error.log
LogLevel warn
User $user
Group $group
LoadModule mpm_prefork_module $MODDIR/mod_mpm_prefork.so
LoadModule authz_core_module $MODDIR/mod_authz_core.so
LoadModule mime_module $MODDIR/mod_mime.so
LoadModule dir_module $MODDIR/mod_dir.so
LoadModule coop_module $module
TypesConfig /etc/mime.types
DocumentRoot "$tmp/htdocs"
DirectoryIndex index.html
<Directory "$tmp/htdocs">
  Require all granted
</Directory>
CoopEventLog $tmp/events.jsonl
CoopEventSocket $tmp/coop.sock
CoopSite test.example
CoopSensor web-1
CONF

# A datagram receiver on the socket: one JSON event per datagram, one line each.
python3 - "$tmp/coop.sock" "$tmp/socket.jsonl" <<'PY' &
import os, signal, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)  # apache's children run as nobody
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
with open(sys.argv[2], "w") as out:
    while True:
        out.write(s.recv(65536).decode() + "\n")
        out.flush()
PY
receiver=$!
for _ in $(seq 1 50); do [[ -S "$tmp/coop.sock" ]] && break; sleep 0.1; done

"$APACHE" -X -f "$tmp/httpd.conf" &
server=$!
for _ in $(seq 1 100); do
  if curl -s -o /dev/null "http://127.0.0.1:$port/__probe" 2>/dev/null; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then echo "apache2 did not start:"; cat "$tmp/error.log"; exit 1; fi
  sleep 0.1
done
curl -sS -o /dev/null -A 'coop-test-agent/1.0' -e 'http://ref.example/' "http://127.0.0.1:$port/index.html?q=1"
curl -sS -o /dev/null -H 'Origin: http://o.example' --data 'a=1&b=22' "http://127.0.0.1:$port/form"
curl -sS -o /dev/null -A 'coop-test-agent/1.0' "http://127.0.0.1:$port/missing"
# The module writes after the response is sent: wait for the replies of the
# three requests (and of every probe) before stopping the server.
for _ in $(seq 1 50); do
  python3 - "$tmp/events.jsonl" <<'PY' && break
import sys
lines = open(sys.argv[1]).read().splitlines()
probes = sum('"uri":"/__probe"' in l for l in lines)
sys.exit(0 if sum('"type":"http_reply"' in l for l in lines) >= 3 + probes else 1)
PY
  sleep 0.1
done
kill "$server"
wait "$server" 2>/dev/null || true
server=

# Forget the readiness probes: every event of a transaction whose request
# was for /__probe (the module may write them after curl has returned).
drop_probes() {
  python3 - "$1" <<'PY'
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
probes = {e["uid"] for e in evs if e["type"] == "http_request" and e["fields"].get("uri") == "/__probe"}
with open(sys.argv[1], "w") as out:
    for e in evs:
        if e["uid"] not in probes:
            out.write(json.dumps(e) + "\n")
PY
}
drop_probes "$tmp/events.jsonl"
echo "events written by mod_coop:"
cat "$tmp/events.jsonl"
cat > "$tmp/expect.json" <<EXP
[
 {"type": "http_request", "count": 1, "envelope": {"site": "test.example", "sensor": "web-1", "uid": "*"},
  "fields": {"orig_h": "127.0.0.1", "orig_p": "*", "resp_h": "127.0.0.1", "resp_p": "$port/tcp",
             "method": "GET", "host": "127.0.0.1:$port", "uri": "/index.html?q=1", "version": "1.1",
             "user_agent": "coop-test-agent/1.0", "referrer": "http://ref.example/", "trans_depth": 1}},
 {"type": "http_reply", "count": 1,
  "fields": {"orig_h": "127.0.0.1", "status_code": 200, "status_msg": "OK", "response_body_len": 18}},
 {"type": "http_request", "count": 1,
  "fields": {"method": "POST", "uri": "/form", "request_body_len": 8, "origin": "http://o.example",
             "user_agent": "*"}},
 {"type": "http_request", "count": 1,
  "fields": {"method": "GET", "uri": "/missing", "user_agent": "coop-test-agent/1.0", "referrer": null}},
 {"type": "http_reply", "count": 2, "fields": {"status_code": 404, "status_msg": "Not Found"}},
 {"type": "http_request", "count": 3},
 {"type": "http_reply", "count": 3}
]
EXP
python3 "$check" "$tmp/events.jsonl" "$tmp/expect.json"
# The request and the reply of one transaction share their uid.
python3 - "$tmp/events.jsonl" <<'PY'
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
req = {e["uid"] for e in evs if e["type"] == "http_request"}
rep = {e["uid"] for e in evs if e["type"] == "http_reply"}
assert req == rep and len(req) == 3, (req, rep)
print("ok   request and reply uids pair up")
PY
# The same six events arrived as datagrams on the unix socket.
kill "$receiver"; wait "$receiver" 2>/dev/null || true
receiver=
drop_probes "$tmp/socket.jsonl"
python3 "$check" "$tmp/socket.jsonl" "$tmp/expect.json"
