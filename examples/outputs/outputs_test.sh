#!/usr/bin/env bash
# End-to-end test of the --store and --publish outputs of coop-import and
# coop-sensor: events recorded in a real time machine store and counted back
# with coop-tm; events published from one real site to a second one (made
# with coop-certs, subscribed with coop-peer) over mutual TLS, compared field
# by field with what coop-import writes as JSON lines.
# Usage: outputs_test.sh COOP_IMPORT COOP_SENSOR COOP_TM COOP_CERTS COOP_PEER
#                        IMPORT_FIXTURES SENSOR_FIXTURES WORK_DIR
set -uo pipefail
import=$1 sensor=$2 tm=$3 certs=$4 peer=$5 ifix=$6 sfix=$7 work=$8
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
failures=0
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# expect_status WANT CMD...: runs CMD with stdout to out.txt and stderr to err.txt.
expect_status() {
  local want=$1; shift
  "$@" >out.txt 2>err.txt
  local got=$?
  [[ $got -eq $want ]] || { fail "'$*' exited $got, expected $want"; sed 's/^/  stderr: /' err.txt | head -8; }
}
expect_in() { grep -qF -- "$2" "$1" || fail "'$2' not in $1: $(head -c 400 "$1")"; }
# count FILTER: events of store tm matching FILTER, as coop-tm counts them.
count() { "$tm" query --store tm --filter "$1" --count | sed -n 's/^events: //p'; }
expect_count() {
  local got; got=$(count "$1")
  [[ "$got" == "$2" ]] || fail "coop-tm counts '$got' events for '$1', expected $2"
}

# Usage errors name the option.
expect_status 2 "$import" --publish-format binary "$ifix/syslog.cut"
expect_in err.txt "--publish-format needs --publish CONFIG TOPIC"
expect_status 2 "$import" --wait-peers soon --store x "$ifix/syslog.cut"
expect_in err.txt "--wait-peers needs a number of seconds"
expect_status 2 "$sensor" -r "$sfix/tiny.pcap.gz" --publish only-a-config
expect_in err.txt "--publish needs a site configuration file and a topic"
expect_status 0 "$import" --help
expect_in out.txt "--publish CONFIG TOPIC"
expect_status 0 "$sensor" --help
expect_in out.txt "--store DIR"
# A directory holding other files is not taken for a store.
mkdir notastore && touch notastore/precious
expect_status 4 "$import" --store notastore "$ifix/syslog.cut"
expect_in err.txt "--store notastore"
expect_in err.txt "holds other files"
[[ -f notastore/precious && $(ls notastore | wc -l) -eq 1 ]] || fail "notastore was changed"

# --- Store: a fixture pcap through coop-sensor, a new store is created.
expect_status 0 "$sensor" -r "$sfix/tiny.pcap.gz" --store tm
[[ ! -s out.txt ]] || fail "--store still wrote JSON lines to stdout"
expect_in err.txt "store tm (created): 6 events in 1 batches: 6 stored"
expect_in err.txt "committed through batch 1"
expect_count 'type == http_request' 1
expect_count 'type == connection_end' 2
# The same store opened again by coop-import, with JSON lines to a file too.
expect_status 0 "$import" --format zeek --zeek-path syslog --store tm -o syslog.jsonl "$ifix/syslog.cut"
expect_in err.txt "store tm (opened): 2 events in 1 batches: 2 stored"
[[ $(wc -l <syslog.jsonl) -eq 2 ]] || fail "-o beside --store: $(wc -l <syslog.jsonl) lines, expected 2"
expect_count 'type == syslog_message' 2
expect_count 'type == http_request' 1
# A hot list: its well-formed entries are stored (two are malformed: exit 1).
expect_status 1 "$import" --store tm "$ifix/misp-event.json"
expect_count 'type == indicator' 6

# Shared Zeek logs, when present: the counts coop-tm finds are those of the logs.
data=${COOP_DATA:-$ifix/../../../../shared/data}
zeek=$data/zeek-logs/zed-sample-data/zeek-default
if [[ -f "$zeek/smtp.log.gz" && -f "$zeek/ssh.log.gz" ]]; then
  smtp=$(zcat "$zeek/smtp.log.gz" | grep -vc '^#')
  ssh_ok=$(zcat "$zeek/ssh.log.gz" | grep -v '^#' | awk -F'\t' '$8 == "T"' | wc -l)
  from=$(zcat "$zeek/ssh.log.gz" | grep -v '^#' | awk -F'\t' '$3 == "10.128.0.233"' | wc -l)
  expect_status 0 "$import" --store tm "$zeek/smtp.log.gz" "$zeek/ssh.log.gz"
  ssh=$(zcat "$zeek/ssh.log.gz" | grep -vc "^#")
  expect_in err.txt "store tm (opened): $((smtp + ssh)) events in 1 batches: $((smtp + ssh)) stored"
  expect_count 'type == smtp_message' "$smtp"
  expect_count 'type == ssh_login && auth_success == T' "$ssh_ok"
  expect_count 'type == ssh_login && orig_h == 10.128.0.233' "$from"
else
  echo "note: $zeek absent, the shared-log part of the store test is not run"
fi

# --- Publish: site-a (the tool) dials site-b (coop-peer subscribe).
"$certs" demo --dir pki --sites site-a,site-b >demo.txt || fail "coop-certs demo failed"
pin_a=$("$certs" pin pki/site-a.crt)
pin_b=$("$certs" pin pki/site-b.crt)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
cat >a.conf <<CONF
site site-a
key pki/site-a.key
cert pki/site-a.crt
ca pki/coop-ca.crt
state state-a
peer site-b spki=$pin_b connect=127.0.0.1:$port
limit reconnect-min 50ms
limit reconnect-max 500ms
allow site-b subscribe /coop/events
CONF
cat >b.conf <<CONF
site site-b
key pki/site-b.key
cert pki/site-b.crt
ca pki/coop-ca.crt
listen 127.0.0.1:$port
state state-b
peer site-a spki=$pin_a
allow site-a publish /coop/events
CONF

# subscribe N OUT: a subscriber at site-b for N messages, in the background.
subscribe() {
  "$peer" subscribe b.conf /coop/events --count "$1" --timeout 60 >"$2" 2>"$2.err" &
  sub=$!
  pids+=("$sub")
}
# check_payloads REFERENCE RECEIVED: the JSON payloads received equal the
# reference JSON lines, in order, apart from the event ids (new each run).
check_payloads() {
  python3 - "$1" "$2" <<'PY' || fail "published events differ from the JSON lines of coop-import"
import json, sys
ref = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
got = []
for l in open(sys.argv[2]):
    m = json.loads(l)
    assert m["content_type"] == "application/vnd.coop.event+json", m["content_type"]
    assert m["origin"] == "site-a", m["origin"]
    got.append(json.loads(m["payload"]))
for e in ref + got:
    e.pop("id", None)
if ref != got:
    print(f"{len(ref)} expected, {len(got)} received")
    for a, b in zip(ref, got):
        if a != b:
            print("expected", a, "\nreceived", b)
            break
    sys.exit(1)
PY
}

inputs=("$ifix/apache-edge.log" "$ifix/auth-edge.log" "$ifix/conn-mixed.json")
"$import" -q --year 2020 "${inputs[@]}" >reference.jsonl 2>/dev/null
n=$(wc -l <reference.jsonl)
[[ $n -gt 10 ]] || fail "the reference import gave only $n events"
subscribe "$n" sub.jsonl
"$import" --year 2020 --publish a.conf /coop/events --wait-peers 30 "${inputs[@]}" >out.txt 2>err.txt
rc=$?
[[ $rc -le 1 ]] || { fail "coop-import --publish exited $rc"; sed 's/^/  stderr: /' err.txt; }
[[ ! -s out.txt ]] || fail "--publish still wrote JSON lines to stdout"
expect_in err.txt "publish site-a as json on /coop/events: $n events, $n published, 0 dropped"
expect_in err.txt "to 1 subscribed peer"
wait "$sub" || fail "the subscriber did not get $n messages: $(cat sub.jsonl.err)"
[[ $(wc -l <sub.jsonl) -eq $n ]] || fail "the subscriber printed $(wc -l <sub.jsonl) messages, expected $n"
check_payloads reference.jsonl sub.jsonl

# A larger shared log, when present: nothing dropped.
if [[ -f "$zeek/smtp.log.gz" ]]; then
  "$import" -q "$zeek/smtp.log.gz" >smtp-reference.jsonl 2>/dev/null
  subscribe "$smtp" smtp-sub.jsonl
  expect_status 0 "$import" --publish a.conf /coop/events/smtp --wait-peers 30 "$zeek/smtp.log.gz"
  expect_in err.txt "$smtp events, $smtp published, 0 dropped"
  wait "$sub" || fail "the subscriber did not get the $smtp smtp events: $(cat smtp-sub.jsonl.err)"
  check_payloads smtp-reference.jsonl smtp-sub.jsonl
fi

# coop-sensor publishes binary events, and stores them at the same time.
subscribe 6 pcap-sub.jsonl
expect_status 0 "$sensor" -r "$sfix/tiny.pcap.gz" --publish a.conf /coop/events/pcap \
  --publish-format binary --wait-peers 30 --store tm2
expect_in err.txt "publish site-a as binary on /coop/events/pcap: 6 events, 6 published, 0 dropped"
expect_in err.txt "store tm2 (created): 6 events in 1 batches: 6 stored"
wait "$sub" || fail "the subscriber did not get the 6 binary events: $(cat pcap-sub.jsonl.err)"
[[ $(grep -c '"content_type":"application/vnd.coop.event+capnp"' pcap-sub.jsonl) -eq 6 ]] ||
  fail "binary events: $(head -c 300 pcap-sub.jsonl)"
grep -q '"topic":"/coop/events/pcap"' pcap-sub.jsonl || fail "binary events on the wrong topic"

# Nobody subscribed: a bounded wait, a warning, and the events counted.
expect_status 0 "$import" --publish a.conf /coop/events --wait-peers 1 "$ifix/syslog.cut" \
  --format zeek --zeek-path syslog
expect_in err.txt "warning: no peer subscribed to /coop/events after 1 s"
expect_in err.txt "2 events, 2 published"
# A configuration error names the file and line.
printf 'site site-x\nkey k\ncert c\nallow * shout /coop\n' >bad.conf
expect_status 4 "$import" --publish bad.conf /coop/events "$ifix/syslog.cut"
expect_in err.txt "bad.conf:4"

if [[ $failures -ne 0 ]]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "--store and --publish outputs: all checks passed"
