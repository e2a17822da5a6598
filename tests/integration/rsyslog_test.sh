#!/usr/bin/env bash
# rsyslogd forwarding to coop-syslogd: a private rsyslogd (own config, pid
# file and work directory in a temporary directory, inputs on loopback)
# receives messages from `logger` over UDP and TCP and forwards everything
# to coop-syslogd twice, over TCP with octet counting in RFC 5424 and over
# UDP in the traditional (RFC 3164) format; it also writes auth messages to
# a file that coop-syslogd follows as an auth.log. The events are checked
# field by field: message text, facility, severity, app name, procid, and
# the ssh_login of the sshd message on all three paths.
# usage: rsyslog_test.sh COOP-SYSLOGD CHECK_EVENTS.py
set -euo pipefail
syslogd=$1
check=$2
RSYSLOGD=${RSYSLOGD:-/usr/sbin/rsyslogd}
if [[ ! -x "$RSYSLOGD" ]] || ! command -v logger >/dev/null || ! command -v python3 >/dev/null; then
  echo "COOP-SKIP: rsyslogd, logger or python3 not installed (apt-get install rsyslog bsdutils)"
  exit 0
fi

tmp=$(mktemp -d /tmp/coop-rsyslog.XXXXXX)
cleanup() {
  if [[ -f "$tmp/rsyslogd.pid" ]]; then kill "$(cat "$tmp/rsyslogd.pid")" 2>/dev/null || true; fi
  if [[ -n "${rs:-}" ]]; then kill "$rs" 2>/dev/null || true; wait "$rs" 2>/dev/null || true; fi
  if [[ -n "${coop:-}" ]]; then kill "$coop" 2>/dev/null || true; wait "$coop" 2>/dev/null || true; fi
  [[ -n "${KEEP:-}" ]] || rm -rf "$tmp"
}
trap cleanup EXIT
free_port() {  # $1: tcp or udp
  python3 -c 'import socket,sys; s=socket.socket(type=socket.SOCK_DGRAM if sys.argv[1]=="udp" else socket.SOCK_STREAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "$1"
}

# 1. coop-syslogd on ports it picks itself; read them from its stderr.
"$syslogd" --udp 127.0.0.1:0 --tcp 127.0.0.1:0 --follow "$tmp/auth.log" --format sshd \
  --site test.example --sensor rsyslog-1 -o "$tmp/events.jsonl" 2> "$tmp/coop.err" &
coop=$!
for _ in $(seq 1 50); do grep -q 'listening on tcp' "$tmp/coop.err" 2>/dev/null && break; sleep 0.1; done
coop_udp=$(sed -n 's/.*listening on udp 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/coop.err")
coop_tcp=$(sed -n 's/.*listening on tcp 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/coop.err")
[[ -n "$coop_udp" && -n "$coop_tcp" ]] || { echo "coop-syslogd did not start:"; cat "$tmp/coop.err"; exit 1; }

# 2. rsyslogd with loopback inputs and the forwarding rules.
in_udp=$(free_port udp)
in_tcp=$(free_port tcp)
mkdir -p "$tmp/work"
cat > "$tmp/rsyslog.conf" <<CONF
global(workDirectory="$tmp/work")
module(load="imudp")
module(load="imtcp")
input(type="imudp" address="127.0.0.1" port="$in_udp")
input(type="imtcp" address="127.0.0.1" port="$in_tcp")
*.* action(type="omfwd" target="127.0.0.1" port="$coop_tcp" protocol="tcp"
           TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
*.* action(type="omfwd" target="127.0.0.1" port="$coop_udp" protocol="udp"
           template="RSYSLOG_TraditionalForwardFormat")
auth,authpriv.* action(type="omfile" file="$tmp/auth.log" template="RSYSLOG_TraditionalFileFormat")
CONF
"$RSYSLOGD" -N1 -f "$tmp/rsyslog.conf" > "$tmp/check.out" 2>&1 || { cat "$tmp/check.out"; exit 1; }
"$RSYSLOGD" -n -f "$tmp/rsyslog.conf" -i "$tmp/rsyslogd.pid" > "$tmp/rsyslogd.out" 2>&1 &
rs=$!
for _ in $(seq 1 50); do
  python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1).close()' "$in_tcp" 2>/dev/null && break
  sleep 0.1
done

# 3. Log through rsyslogd's own inputs.
logger --server 127.0.0.1 --port "$in_udp" --udp -t coopapp --id=4242 -p local3.warning "coop test message one"
logger --server 127.0.0.1 --port "$in_tcp" --tcp --octet-count -t coopapp -p user.err "coop test via tcp input"
# As sshd does through syslog(3): an RFC 3164 message with "sshd[pid]: ".
logger --server 127.0.0.1 --port "$in_udp" --udp --rfc3164 -t sshd --id=999 -p authpriv.info \
  "Failed password for invalid user mallory from 198.51.100.23 port 50022 ssh2"

# 4. Wait for: 3 messages x 2 forwards + 2 ssh_login forwarded + 1 followed.
for _ in $(seq 1 100); do
  [[ -f "$tmp/events.jsonl" && $(wc -l < "$tmp/events.jsonl") -ge 9 ]] && break
  sleep 0.1
done
sleep 0.3
kill "$(cat "$tmp/rsyslogd.pid")"; wait "$rs" 2>/dev/null || true; rs=
kill -TERM "$coop"; wait "$coop" || true; coop=
echo "coop-syslogd stderr:"; cat "$tmp/coop.err"
echo "auth.log written by rsyslogd:"; cat "$tmp/auth.log" || true

# What rsyslog forwards is kept as it is: its traditional format writes the
# tag of an RFC 5424 message without procid as a bare word ("coopapp coop
# test ..."), which RFC 3164 cannot tell from text, so that message has no
# app_name; and its RFC 5424 template copies the space an RFC 3164 message
# had after "sshd[999]:" into MSG. See docs/integrations.md.
cat > "$tmp/expect.json" <<EXP
[
 {"type": "syslog_message", "count": 1, "envelope": {"site": "test.example", "sensor": "rsyslog-1"},
  "fields": {"message": "coop test message one", "facility": "LOCAL3", "severity": "WARNING",
             "app_name": "coopapp", "procid": "4242", "hostname": "*",
             "orig_h": "127.0.0.1", "resp_h": "127.0.0.1", "resp_p": "$coop_tcp/tcp"}},
 {"type": "syslog_message", "count": 1,
  "fields": {"message": "coop test message one", "facility": "LOCAL3", "severity": "WARNING",
             "app_name": "coopapp", "procid": "4242", "resp_p": "$coop_udp/udp"}},
 {"type": "syslog_message", "count": 1,
  "fields": {"message": "coop test via tcp input", "facility": "USER", "severity": "ERR", "app_name": "coopapp",
             "resp_p": "$coop_tcp/tcp"}},
 {"type": "syslog_message", "count": 1,
  "fields": {"message": "coopapp coop test via tcp input", "facility": "USER", "severity": "ERR", "app_name": null,
             "resp_p": "$coop_udp/udp"}},
 {"type": "syslog_message", "count": 1,
  "fields": {"message": "Failed password for invalid user mallory from 198.51.100.23 port 50022 ssh2",
             "facility": "AUTHPRIV", "severity": "INFO", "app_name": "sshd", "procid": "999", "resp_p": "$coop_udp/udp"}},
 {"type": "syslog_message", "count": 1,
  "fields": {"message": " Failed password for invalid user mallory from 198.51.100.23 port 50022 ssh2",
             "facility": "AUTHPRIV", "severity": "INFO", "app_name": "sshd", "procid": "999", "resp_p": "$coop_tcp/tcp"}},
 {"type": "ssh_login", "count": 3,
  "fields": {"orig_h": "198.51.100.23", "orig_p": "50022/tcp", "user": "mallory", "auth_success": false,
             "auth_method": "password", "invalid_user": true, "failure_reason": "failed password"}},
 {"type": "syslog_message", "count": 6}
]
EXP
python3 "$check" "$tmp/events.jsonl" "$tmp/expect.json"
grep -q 'summary: 6 messages (3 RFC 5424, 3 RFC 3164), 0 malformed' "$tmp/coop.err" ||
  { echo "FAIL the summary on exit does not count 6 messages, 3 of each RFC"; exit 1; }
echo "ok   summary on exit"
