#!/usr/bin/env bash
# coop-tm end to end on real stores in a scratch directory: init, ingest
# (JSON lines and Cap'n Proto, with bad records), query in every output
# format, count, group-by, estimate, stats, pins, rules, expire, verify, and
# the error messages a person sees. Run by ctest as tm/cli:
#   cli_test.sh PATH/TO/coop-tm TESTDATA_DIR SCRATCH_DIR
# Expected numbers come from testdata/events.jsonl (see testdata/README.md):
# 64 events, 2 of them PTR lookups that testdata/rules.txt drops.
set -u
TM=$1
DATA=$2
WORK=$3
rm -rf "$WORK"
mkdir -p "$WORK"
S=$WORK/store
failures=0
checks=0

# run CMD...: runs it, keeping its exit code, stdout and stderr.
run() {
  "$@" >"$WORK/stdout" 2>"$WORK/stderr"
  rc=$?
  out=$(cat "$WORK/stdout")
  err=$(cat "$WORK/stderr")
  last="$*"
}
pass() { checks=$((checks + 1)); }
failed() {
  checks=$((checks + 1))
  failures=$((failures + 1))
  echo "FAIL: $1"
  echo "  command: $last"
  echo "  exit code: $rc"
  echo "  stdout: ${out:0:1500}"
  echo "  stderr: ${err:0:1500}"
}
expect_rc() { if [[ $rc == "$1" ]]; then pass; else failed "exit code $1 expected"; fi; }
out_has() { if grep -qF -- "$1" <<<"$out"; then pass; else failed "stdout should contain: $1"; fi; }
err_has() { if grep -qF -- "$1" <<<"$err"; then pass; else failed "stderr should contain: $1"; fi; }
out_lines() {
  local n
  n=$(grep -c . <<<"$out")
  if [[ $n == "$1" ]]; then pass; else failed "stdout should have $1 lines, has $n"; fi
}

# --- usage and a missing store -------------------------------------------
run "$TM"
expect_rc 2; err_has "usage: coop-tm COMMAND --store DIR"
run "$TM" frobnicate
expect_rc 2; err_has "unknown command 'frobnicate'"
run "$TM" help query
expect_rc 0; out_has "--group-by"
run "$TM" query --filter 'orig_h == 10.0.0.1'
expect_rc 2; err_has "--store DIR is required"
run "$TM" query --store "$WORK/nowhere"
expect_rc 1
err_has "coop-tm: --store $WORK/nowhere: no time machine store here (no FORMAT file); create one with \`coop-tm init --store $WORK/nowhere\`"
run "$TM" query --store "$S" --bogus
expect_rc 2; err_has "unknown option '--bogus'"

# --- init -------------------------------------------------------------------
run "$TM" init --store "$S" --rules "$DATA/bad_rules.txt"
expect_rc 1; err_has "$DATA/bad_rules.txt:3:"; err_has "connection_ends"
if [[ ! -e $S/FORMAT ]]; then pass; else failed "bad rules must not leave a store behind"; fi
run "$TM" init --store "$S" --budget 12XB
expect_rc 2; err_has "invalid size '12XB'"
run "$TM" init --store "$S" --rules "$DATA/rules.txt" --budget 1GiB
expect_rc 0; out_has "created a time machine store in $S"; out_has "disk budget: 1.0 GiB"
run "$TM" init --store "$S"
expect_rc 1; err_has "a store already exists here"

# --- ingest JSON lines --------------------------------------------------------
run "$TM" ingest --store "$S" "$DATA/events.jsonl"
expect_rc 0
out_has "ingested 64 events from 1 input: 62 stored, 2 dropped by rules, 0 skipped as bad"
run "$TM" ingest --store "$S" "$WORK/missing.jsonl"
expect_rc 1; err_has "$WORK/missing.jsonl: no such file"

# --- query --------------------------------------------------------------------
HOST='orig_h == 10.47.2.100 || resp_h == 10.47.2.100'
run "$TM" query --store "$S" --filter "$HOST"
expect_rc 0; out_lines 7
if [[ $(grep -c '"orig_h":"10.47.2.100"' <<<"$out") == 7 ]]; then pass; else failed "every answer is about 10.47.2.100"; fi
if ! grep -q '"_resolution"' <<<"$out"; then pass; else failed "raw answers carry no _resolution"; fi
first_ts=$(head -1 <<<"$out" | sed 's/.*"ts":"\([^"]*\)".*/\1/')
if [[ $first_ts == 2018-03-24T17:15:50.090369000Z ]]; then pass; else failed "oldest first: $first_ts"; fi

run "$TM" query --store "$S" --filter "$HOST" --count
expect_rc 0; out_has "events: 7"; out_has "raw: 7"
run "$TM" query --store "$S" --filter 'type == dns_request' --count --format jsonl
expect_rc 0; out_has '{"events":22,'

run "$TM" query --store "$S" --filter 'type == connection_end' --group-by resp_p
expect_rc 0
if grep -Eq '^53/udp +24$' <<<"$out" && grep -Eq '^443/tcp +6$' <<<"$out" &&
   grep -Eq '^22/tcp +3$' <<<"$out" && head -1 <<<"$out" | grep -Eq '^resp_p +events$'; then
  pass
else
  failed "group-by resp_p: 53/udp 24, 443/tcp 6, 22/tcp 3"
fi
run "$TM" query --store "$S" --filter 'type == connection_end' --group-by orig_h,resp_p --format jsonl
expect_rc 0; out_has '{"orig_h":"10.47.2.100","resp_p":"53/udp","events":2}'
run "$TM" query --store "$S" --group-by no_such_field
if [[ $rc != 0 ]]; then pass; else failed "group-by an unknown field fails"; fi

run "$TM" query --store "$S" --filter "$HOST" --estimate
expect_rc 0; out_has "plan: "; out_has "partitions: "; out_has "blocks: "; out_has "bytes read: "

run "$TM" query --store "$S" --filter 'type == dns_request' --format table --limit 3
expect_rc 0; out_lines 4
if head -1 <<<"$out" | grep -Eq '^ts +type +uid +orig_h +orig_p +resp_h +resp_p +trans_id +query'; then
  pass
else
  failed "table header: ts, type, uid, then the fields"
fi
out_has "ise.wrccdc.org"

run "$TM" query --store "$S" --limit 2 --newest-first
expect_rc 0; out_lines 2
first_ts=$(head -1 <<<"$out" | sed 's/.*"ts":"\([^"]*\)".*/\1/')
if [[ $first_ts == 2018-03-24T20:32:02.590346000Z ]]; then pass; else failed "newest first: $first_ts"; fi

run "$TM" query --store "$S" --from 2018-03-24T17:00:00Z --to 2018-03-24T18:00:00Z --count
expect_rc 0; out_has "events: 51"
run "$TM" query --store "$S" --from 1521914400 --to 1521918000 --count
expect_rc 0; out_has "events: 4"

run "$TM" query --store "$S" --filter 'resp_p == 22/tcpx'
expect_rc 2; err_has "column 11: invalid port '22/tcpx'"
if grep -q '^            ^$' <<<"$err"; then pass; else failed "a caret under column 11"; fi
run "$TM" query --store "$S" --filter 'type == dns_request && resp_pp == 1' --count
expect_rc 2; err_has "column 24: unknown field 'resp_pp'"
run "$TM" query --store "$S" --from yesterday
expect_rc 2; err_has "--from 'yesterday': not a time"
run "$TM" query --store "$S" --count --estimate
expect_rc 2; err_has "exclude each other"

# --- pcap and Cap'n Proto export ---------------------------------------------
run "$TM" query --store "$S" --format pcap --out "$WORK/dns.pcap"
expect_rc 0; err_has "wrote 4 packets to $WORK/dns.pcap"
if command -v tshark >/dev/null; then
  n=$(tshark -r "$WORK/dns.pcap" -Y 'dns.qry.name == "ise.wrccdc.org"' 2>/dev/null | wc -l)
  if [[ $n -ge 1 ]]; then pass; else failed "tshark reads the DNS queries in the pcap ($n)"; fi
else
  echo "note: tshark not installed; the pcap is not read back"
fi
run "$TM" query --store "$S" --format pcap --filter 'orig_h == 10.47.1.100' --out "$WORK/one.pcap"
expect_rc 0; err_has "wrote 1 packets"
run "$TM" query --store "$S" --format pcap --filter 'orig_h == ' --out "$WORK/x.pcap"
expect_rc 2; err_has "column "

run "$TM" query --store "$S" --format capnp --out "$WORK/all.capnp"
expect_rc 0
S2=$WORK/store2
run "$TM" init --store "$S2"
expect_rc 0
run "$TM" ingest --store "$S2" "$WORK/all.capnp"
expect_rc 0; out_has "ingested 62 events from 1 input: 62 stored"
run "$TM" query --store "$S2" --filter "$HOST" --count
expect_rc 0; out_has "events: 7"

# A damaged stream: the bad message is named by its byte offset.
S3=$WORK/store3
run "$TM" init --store "$S3"
size=$(stat -c %s "$WORK/all.capnp")
head -c $((size - 5)) "$WORK/all.capnp" >"$WORK/cut.capnp"
run "$TM" ingest --store "$S3" --format capnp "$WORK/cut.capnp"
expect_rc 1; err_has "$WORK/cut.capnp: "; err_has "byte offset"; out_has "ingested 61 events"

# Bad JSON lines: each reported with its line, skipped and counted.
run "$TM" ingest --store "$S3" --quiet <"$DATA/bad.jsonl"
expect_rc 1
err_has "<stdin>:2: fields.resp_p"; err_has "<stdin>:5: "; err_has "<stdin>:6: "
err_has "3 bad records were skipped"
out_has "ingested 4 events from 1 input: 4 stored, 0 dropped by rules, 3 skipped as bad"
if ! grep -q '<stdin>:4:' <<<"$err"; then pass; else failed "a blank line is not an error"; fi

# --- stats ----------------------------------------------------------------------
run "$TM" stats --store "$S"
expect_rc 0
if grep -Eq '^connections +1.0 GiB +raw +[0-9]+ .* 36 +36 +2018-03-24T17:15:20.865716Z$' <<<"$out"; then
  pass
else
  failed "stats: class connections (budget 1 GiB), tier raw, 36 events since 17:15:20.865716"
fi
if grep -Eq '^total .* 62 +62' <<<"$out"; then pass; else failed "stats: 62 events in total"; fi
out_has "disk budget 1.0 GiB"; out_has "problems: none"
run "$TM" stats --store "$S" --json
expect_rc 0
if python3 -c 'import json,sys; d=json.load(sys.stdin); assert sum(t["events"] for c in d["classes"] for t in c["tiers"]) == 62; assert d["uncompacted_sealed"] >= 0' <<<"$out" 2>/dev/null; then
  pass
else
  failed "stats --json is JSON, counts 62 events and has uncompacted_sealed"
fi

# --- rules ------------------------------------------------------------------------
run "$TM" rules --store "$S"
expect_rc 0; out_has "class connections types connection_attempt"
run "$TM" rules --store "$S" --set "$DATA/bad_rules.txt"
expect_rc 1; err_has "$DATA/bad_rules.txt:3:"
run "$TM" rules --store "$S" --set "$DATA/rules.txt"
expect_rc 0; out_has "1 rules, 2 classes"

# --- pins -----------------------------------------------------------------------
run "$TM" pin --store "$S" --host 10.47.2.100
expect_rc 2; err_has "--reason TEXT is required"
run "$TM" pin --store "$S" --host 10.47.2.300 --reason x
expect_rc 2; err_has "--host '10.47.2.300'"
run "$TM" pin --store "$S" --host 10.47.2.100 --reason "incident 42"
expect_rc 0; out_has "pin 1: 10.47.2.100/32"
run "$TM" pin --store "$S" --host 10.47.3.0/24 --from 2018-03-24T17:00:00Z --to 2018-03-24T18:00:00Z --reason "scan"
expect_rc 0; out_has "pin 2: 10.47.3.0/24, 2018-03-24T17:00:00.000000Z to 2018-03-24T18:00:00.000000Z"
run "$TM" pins --store "$S"
expect_rc 0; out_has "incident 42"; out_lines 3
run "$TM" unpin --store "$S" 2
expect_rc 0; out_has "removed pin 2"
run "$TM" unpin --store "$S" 99
expect_rc 1; err_has "there is no pin 99"
run "$TM" unpin --store "$S" x
expect_rc 2

# --- verify, expire ---------------------------------------------------------------
run "$TM" verify --store "$S"
expect_rc 0; out_has "no problems"

# The fixture is from 2018: every connection is past the 7-day raw tier,
# so expiry summarises them hourly, except those of the pinned host.
run "$TM" expire --store "$S"
expect_rc 0; out_has "expiry pass complete"
if grep -Eq 'events aggregated: +[1-9]' <<<"$out"; then pass; else failed "expire aggregates"; fi
run "$TM" query --store "$S" --filter 'type == connection_end' --count
expect_rc 0; out_has "events: 36"
run "$TM" query --store "$S" --filter 'type == connection_end && orig_h == 10.47.2.100' --raw-only --count
expect_rc 0; out_has "events: 5"
run "$TM" query --store "$S" --filter 'type == connection_end && orig_h == 10.47.5.155'
expect_rc 0; out_has '"_resolution":"hourly","_bucket":3600.0}'
run "$TM" query --store "$S" --filter 'type == connection_end && orig_h == 10.47.5.155' --format table
expect_rc 0; out_has "hourly/3600.0s"
run "$TM" verify --store "$S"
expect_rc 0; out_has "no problems"
run "$TM" unpin --store "$S" 1
expect_rc 0
run "$TM" pins --store "$S"
expect_rc 0; out_has "no pins"

# --- damage -------------------------------------------------------------------
# Overwrite the middle of every partition's data file in a copy: verify (or
# opening) must report it, not crash.
cp -r "$S2" "$WORK/damaged"
for f in $(find "$WORK/damaged" -name data.mdb -path '*part*'); do
  sz=$(stat -c %s "$f")
  printf 'garbage-garbage-garbage-garbage!' | dd of="$f" bs=1 seek=$((sz / 2)) conv=notrunc status=none
done
run "$TM" verify --store "$WORK/damaged"
if [[ $rc == 1 && ( $out == *problem* || -n $err ) ]]; then pass; else failed "damage is reported"; fi

# --- Zeek logs ----------------------------------------------------------------
# testdata/conn.log: three connections and, on line 12, a row whose ts is not a
# time. Read as a file (detected by its name), gzip-compressed, and from stdin
# (detected by its '#' header).
S4=$WORK/zeek-store
run "$TM" init --store "$S4"
expect_rc 0
run "$TM" ingest --store "$S4" "$DATA/conn.log"
expect_rc 1; err_has "$DATA/conn.log:12: column 'ts'"
out_has "ingested 3 events from 1 input: 3 stored, 0 dropped by rules, 1 skipped as bad"
run "$TM" query --store "$S4" --filter 'orig_h == 192.0.2.10' --format table
expect_rc 0; out_has "connection_end  Cb1b2c3d4e5f6g7h8  192.0.2.10  51001/tcp  198.51.100.8  22/tcp"
out_lines 3
gzip -c "$DATA/conn.log" >"$WORK/conn.log.gz"
run "$TM" ingest --store "$S4" --quiet "$WORK/conn.log.gz"
expect_rc 1; err_has "$WORK/conn.log.gz:12:"; out_has "3 stored"
run bash -c "'$TM' ingest --store '$S4' --quiet <'$DATA/conn.log'"
expect_rc 1; err_has "<stdin>:12:"; out_has "3 stored"
run "$TM" query --store "$S4" --filter 'type == connection_end && resp_p == 53/udp' --count
expect_rc 0; out_has "events: 3"
run "$TM" ingest --store "$S4" --format zeek "$DATA/events.jsonl"
expect_rc 1; err_has "$DATA/events.jsonl"

echo "$checks checks, $failures failed"
[[ $failures == 0 ]]
