#!/usr/bin/env bash
# A real OpenSSH sshd followed by coop-syslogd. sshd runs in the foreground
# on a loopback port with its own config, host key, pid file and log file
# (-E) in a temporary directory; the system's sshd and /etc are not used.
# Real `ssh` logins: an accepted publickey login (root, with an
# authorized_keys file in the temporary directory), a nonexistent user, a
# wrong password for that user and for root. The log is then rotated
# (renamed, sshd re-executed by SIGHUP so it opens a new file) and truncated,
# with a login after each, and coop-syslogd --follow must see every login:
# ssh_login events with the right user, client address and port, outcome,
# method and key fingerprint.
# usage: sshd_test.sh COOP-SYSLOGD CHECK_EVENTS.py
set -euo pipefail
syslogd=$1
check=$2
SSHD=${SSHD:-/usr/sbin/sshd}
for p in "$SSHD" "$(command -v ssh || true)" "$(command -v ssh-keygen || true)" "$(command -v python3 || true)"; do
  if [[ -z "$p" || ! -x "$p" ]]; then
    echo "COOP-SKIP: sshd, ssh, ssh-keygen or python3 not installed (apt-get install openssh-server openssh-client)"
    exit 0
  fi
done
if [[ $(id -u) -ne 0 ]]; then
  echo "COOP-SKIP: sshd needs root for privilege separation; run the test as root"
  exit 0
fi

tmp=$(mktemp -d /tmp/coop-sshd.XXXXXX)
made_privsep=
cleanup() {
  if [[ -f "$tmp/sshd.pid" ]]; then kill "$(cat "$tmp/sshd.pid")" 2>/dev/null || true; fi
  if [[ -n "${sshd_job:-}" ]]; then kill "$sshd_job" 2>/dev/null || true; wait "$sshd_job" 2>/dev/null || true; fi
  if [[ -n "${coop:-}" ]]; then kill "$coop" 2>/dev/null || true; wait "$coop" 2>/dev/null || true; fi
  if [[ -n "$made_privsep" ]]; then rmdir /run/sshd 2>/dev/null || true; fi
  [[ -n "${KEEP:-}" ]] || rm -rf "$tmp"
}
trap cleanup EXIT

# sshd's privilege-separation directory is compiled in; the openssh-server
# service creates it at boot. Create it (empty) only if it is missing.
if [[ ! -d /run/sshd ]]; then mkdir -m 0755 /run/sshd; made_privsep=1; fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ssh-keygen -q -t ed25519 -N '' -f "$tmp/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/user_key"
cp "$tmp/user_key.pub" "$tmp/authorized_keys"
fingerprint=$(ssh-keygen -l -f "$tmp/user_key.pub" | awk '{print $2}')
printf '#!/bin/sh\necho not-the-password\n' > "$tmp/askpass"
chmod 700 "$tmp/askpass"
cat > "$tmp/sshd_config" <<CONF
ListenAddress 127.0.0.1
HostKey $tmp/host_key
PidFile $tmp/sshd.pid
LogLevel VERBOSE
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
AuthorizedKeysFile $tmp/authorized_keys
PasswordAuthentication yes
KbdInteractiveAuthentication no
MaxAuthTries 3
CONF
log=$tmp/sshd.log
"$SSHD" -t -f "$tmp/sshd_config" || { echo "sshd rejects the test config"; exit 1; }
"$SSHD" -D -f "$tmp/sshd_config" -p "$port" -E "$log" &
sshd_job=$!

"$syslogd" --follow "$log" --format sshd-stderr --site test.example --sensor sshd-1 \
  -o "$tmp/events.jsonl" 2> "$tmp/coop.err" &
coop=$!

wait_port() {
  for _ in $(seq 1 100); do
    python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1).close()' "$port" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "sshd is not listening on $port:"; cat "$log"; exit 1
}
ssh_opts=(-p "$port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
          -o ConnectTimeout=5)
login_key() { ssh "${ssh_opts[@]}" -o BatchMode=yes -o PasswordAuthentication=no -i "$tmp/user_key" "$1@127.0.0.1" true; }
login_password() {
  SSH_ASKPASS="$tmp/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 \
    setsid -w ssh "${ssh_opts[@]}" -o PubkeyAuthentication=no -o PreferredAuthentications=password \
    -o NumberOfPasswordPrompts=1 "$1@127.0.0.1" true < /dev/null
}
wait_events() {  # $1: a text of the JSON lines, $2: how many lines must hold it
  for _ in $(seq 1 100); do
    [[ -f "$tmp/events.jsonl" ]] && (( $(grep -c -- "$1" "$tmp/events.jsonl" || true) >= $2 )) && return 0
    sleep 0.1
  done
  echo "FAIL fewer than $2 events with $1; log:"; cat "$log"; cat "$tmp/coop.err"; exit 1
}

wait_port
login_key root                            # Accepted publickey for root
login_key nosuchuser && exit 1 || true    # Invalid user nosuchuser
login_password nosuchuser && exit 1 || true  # Invalid user + Failed password for invalid user
login_password root && exit 1 || true     # Failed password for root
wait_events "connection closed before authentication" 3

# Rotation: rename the log and make sshd open a new one (SIGHUP re-executes it).
mv "$log" "$log.1"
kill -HUP "$(cat "$tmp/sshd.pid")"
sleep 0.5
wait_port
login_password rotated && exit 1 || true
wait_events '"user":"rotated"' 3
# Truncation in place, as logrotate's copytruncate does.
: > "$log"
# tail -F can only notice a truncation while the file is shorter than what
# it had read: give the follower (polling every 200 ms) time to see it.
sleep 0.6
login_key root
wait_events '"auth_success":true' 2
sleep 0.3
kill -TERM "$coop"; wait "$coop" || true; coop=
echo "sshd log:"; cat "$log.1" "$log"
echo "coop-syslogd stderr:"; cat "$tmp/coop.err"

cat > "$tmp/expect.json" <<EXP
[
 {"type": "ssh_login", "count": 2, "envelope": {"site": "test.example", "sensor": "sshd-1"},
  "fields": {"user": "root", "orig_h": "127.0.0.1", "orig_p": "*", "auth_success": true, "auth_method": "publickey",
             "client_key_type": "ED25519", "client_key_fingerprint": "$fingerprint", "version": 2,
             "invalid_user": null}},
 {"type": "ssh_login", "count": 2,
  "fields": {"user": "nosuchuser", "orig_h": "127.0.0.1", "orig_p": "*", "auth_success": false,
             "invalid_user": true, "failure_reason": "invalid user"}},
 {"type": "ssh_login", "count": 1,
  "fields": {"user": "nosuchuser", "orig_h": "127.0.0.1", "auth_success": false, "auth_method": "password",
             "invalid_user": true, "failure_reason": "failed password"}},
 {"type": "ssh_login", "count": 1,
  "fields": {"user": "root", "orig_h": "127.0.0.1", "auth_success": false, "auth_method": "password",
             "invalid_user": null, "failure_reason": "failed password"}},
 {"type": "ssh_login", "count": 1,
  "fields": {"user": "rotated", "auth_success": false, "auth_method": "password", "invalid_user": true}},
 {"type": "ssh_login", "count": 4,
  "fields": {"auth_success": false, "failure_reason": "connection closed before authentication"}},
 {"type": "ssh_login", "count": 12}
]
EXP
python3 "$check" "$tmp/events.jsonl" "$tmp/expect.json"
grep -q 'summary: followed .*sshd.log: .* 1 rotations, 1 truncations' "$tmp/coop.err" ||
  { echo "FAIL the follower did not report 1 rotation and 1 truncation"; exit 1; }
echo "ok   rotation and truncation followed"
