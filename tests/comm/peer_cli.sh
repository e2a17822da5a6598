#!/usr/bin/env bash
# coop-peer end to end: two sites set up with coop-certs, a publication from
# site-a's console to a subscriber at site-b, a request from site-b that
# site-a's operator approves, and configuration errors with file:line.
# Usage: peer_cli.sh COOP_PEER COOP_CERTS SCRATCH_DIR
set -euo pipefail
peer=$1 certs=$2 dir=$3
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  exec 3>&- 4>&- 2>/dev/null || true
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in *.out *.err; do [[ -f $f ]] && { echo "--- $f"; cat "$f"; } >&2; done
  exit 1
}
# wait_for FILE PATTERN: up to 30 s for PATTERN to appear in FILE.
wait_for() {
  for _ in $(seq 300); do
    grep -q -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "'$2' never appeared in $1"
}

"$certs" demo --dir pki --sites site-a,site-b >demo.txt
pin_a=$("$certs" pin pki/site-a.crt)
pin_b=$("$certs" pin pki/site-b.crt)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

cat >a.conf <<CONF
site site-a
key pki/site-a.key
cert pki/site-a.crt
ca pki/coop-ca.crt
listen 127.0.0.1:$port
state state-a
peer site-b spki=$pin_b
allow site-b subscribe /coop/alerts
allow site-b request /coop/query
approve /coop/query timeout=1h
CONF
cat >b.conf <<CONF
site site-b
key pki/site-b.key
cert pki/site-b.crt
ca pki/coop-ca.crt
peer site-a spki=$pin_a connect=127.0.0.1:$port
limit reconnect-min 50ms
allow site-a publish,respond /coop
CONF

# check: a good file is summarised, a bad one named with its line.
"$peer" check a.conf >check.out || fail "check a.conf failed"
grep -q "peer   site-b" check.out || fail "check does not list site-b"
printf 'site site-x\nkey k\ncert c\nallow * shout /coop\n' >bad.conf
if "$peer" check bad.conf 2>bad.err; then fail "a bad configuration passed the check"; fi
grep -q "bad.conf:4: unknown verb 'shout'" bad.err || fail "the error does not name bad.conf:4"
if "$peer" frobnicate 2>/dev/null; then fail "an unknown command succeeded"; fi

# site-a runs with a console on a FIFO and answers /coop/query by echoing.
mkfifo a.in b.in
"$peer" run a.conf --echo /coop/query <a.in >a.out 2>a.err &
pids+=($!)
exec 3>a.in
# site-b: a one-shot subscriber, and a console for the request.
"$peer" subscribe b.conf /coop/alerts --count 1 --timeout 60 >sub.out 2>sub.err &
sub=$!
pids+=($sub)

# Once site-a reports site-b subscribed, publish from its console.
for _ in $(seq 300); do
  echo peers >&3
  sleep 0.1
  grep -q "/coop/alerts" a.out && break
done
grep -q "site-b .*up" a.out || fail "site-b never came up at site-a"
echo "publish /coop/alerts/ip 192.0.2.99" >&3
wait "$sub" || fail "the subscriber did not get its message"
grep -q '"topic":"/coop/alerts/ip"' sub.out || fail "wrong topic"
grep -q '"payload":"192.0.2.99"' sub.out || fail "wrong payload"
grep -q '"origin":"site-a"' sub.out || fail "wrong origin"

# A request from site-b waits for site-a's operator.
"$peer" run b.conf <b.in >b.out 2>b.err &
pids+=($!)
exec 4>b.in
wait_for b.err "peer site-a up"
echo "request site-a /coop/query/host 10.0.0.1" >&4
for _ in $(seq 300); do
  echo approvals >&3
  sleep 0.1
  grep -q "^#1 pending from site-b topic /coop/query/host" a.out && break
done
grep -q "^#1 pending" a.out || fail "the request was not held for approval"
if grep -q '"response"' b.out; then fail "answered before approval"; fi
echo "approve 1" >&3
wait_for b.out '"payload":"site-a echoes: 10.0.0.1"'
wait_for a.out "approved 1"

# A refusal is visible: site-b publishing where it may not.
echo "publish /coop/forbidden nope" >&4
echo "send site-a /coop/forbidden nope" >&4
for _ in $(seq 100); do
  echo "refusals 5" >&3
  sleep 0.1
  grep -q "peer=site-b what=publish origin=site-b topic=/coop/forbidden  default deny" a.out && break
done
grep -q "topic=/coop/forbidden  default deny" a.out || fail "the refusal was not shown"
echo stats >&3
wait_for a.out "refused_access 1"

echo quit >&3
echo quit >&4
wait "${pids[0]}" || fail "site-a did not exit cleanly"
echo "coop-peer: all checks passed"
