#!/usr/bin/env bash
# coop-syslogd's limits, end to end over real sockets: a second TCP
# connection over --max-connections is refused, a silent one is closed after
# --idle-timeout, a datagram over --max-message is dropped, garbage is
# reported and counted (exit status 1), a bad octet count closes only its
# connection, and the binary output is written; all read from the summary
# printed on SIGTERM.
# usage: syslogd_limits_test.sh COOP-SYSLOGD
set -euo pipefail
syslogd=$1
command -v python3 >/dev/null || { echo "COOP-SKIP: python3 not installed"; exit 0; }
tmp=$(mktemp -d /tmp/coop-syslogd-limits.XXXXXX)
cleanup() {
  if [[ -n "${coop:-}" ]]; then kill "$coop" 2>/dev/null || true; wait "$coop" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
"$syslogd" --udp 127.0.0.1:0 --tcp 127.0.0.1:0 --max-connections 1 --idle-timeout 1 \
  --max-message 100 --output binary -o "$tmp/events.bin" 2> "$tmp/err" &
coop=$!
for _ in $(seq 1 50); do grep -q 'listening on tcp' "$tmp/err" 2>/dev/null && break; sleep 0.1; done
tcp=$(sed -n 's/.*listening on tcp 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/err")
udp=$(sed -n 's/.*listening on udp 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/err")
python3 - "$tcp" "$udp" <<'PY'
import socket, sys, time
t, u = int(sys.argv[1]), int(sys.argv[2])
a = socket.create_connection(("127.0.0.1", t))
a.sendall(b"<13>held open\n")
time.sleep(0.3)
b = socket.create_connection(("127.0.0.1", t))
b.settimeout(2)
assert b.recv(10) == b"", "a connection over --max-connections was not refused"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"<13>" + b"x" * 200, ("127.0.0.1", u))
s.sendto(b"<13>small", ("127.0.0.1", u))
s.sendto(b"no pri here", ("127.0.0.1", u))
a.settimeout(5)
assert a.recv(10) == b"", "the idle connection was not closed"
c = socket.create_connection(("127.0.0.1", t))
c.sendall(b"12x<13>bad count")
c.settimeout(5)
assert c.recv(10) == b"", "a bad octet count did not close the connection"
print("ok   refused, idle close, framing error close")
PY
sleep 0.3
kill -TERM "$coop"
rc=0; wait "$coop" || rc=$?; coop=
cat "$tmp/err"
[[ $rc -eq 1 ]] || { echo "FAIL exit status $rc, want 1 (malformed input seen)"; exit 1; }
grep -q 'summary: 3 messages (0 RFC 5424, 2 RFC 3164), 1 malformed, 1 oversized, 0 truncated, 1 framing errors; 3 datagrams, 2 connections (1 refused, 1 closed idle)' "$tmp/err" ||
  { echo "FAIL unexpected summary"; exit 1; }
grep -q "udp 127.0.0.1:[0-9]*: no PRI ('<' expected) at byte 0" "$tmp/err" || { echo "FAIL problem not reported"; exit 1; }
grep -q 'malformed octet count (byte 0x78) at stream offset 2; connection closed' "$tmp/err" ||
  { echo "FAIL framing error not reported"; exit 1; }
[[ -s "$tmp/events.bin" ]] || { echo "FAIL no binary output"; exit 1; }
echo "ok   summary, problems and binary output"
