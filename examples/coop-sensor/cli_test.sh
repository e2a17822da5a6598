#!/usr/bin/env bash
# End-to-end test of coop-sensor on the synthetic fixtures of tests/sensor:
# JSON lines from pcap.gz and pcapng, binary output with -w, packet events
# with --packets, and the errors a user sees.
# Usage: cli_test.sh COOP_SENSOR FIXTURE_DIR SCRATCH_DIR
set -euo pipefail
tool=$1 fixtures=$2 scratch=$3
rm -rf "$scratch" && mkdir -p "$scratch"
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$tool" -r "$fixtures/tiny.pcap.gz")
[ "$(printf '%s\n' "$out" | wc -l)" -eq 6 ] || fail "expected 6 events from tiny.pcap.gz, got: $out"
grep -q '"type":"http_request".*"uri":"/index.html"' <<<"$out" || fail "no http_request for /index.html"
grep -q '"type":"http_reply".*"status_code":200' <<<"$out" || fail "no http_reply 200"
grep -q '"type":"dns_reply".*"answers":\["192.0.2.7"\]' <<<"$out" || fail "no dns_reply with its answer"
grep -q '"type":"connection_end".*"conn_state":"SF".*"history":"ShADdFf"' <<<"$out" || fail "no SF connection"

ng=$("$tool" -r "$fixtures/tiny.pcapng")
[ "$(printf '%s\n' "$ng" | wc -l)" -eq 6 ] || fail "expected 6 events from tiny.pcapng"

"$tool" -r "$fixtures/tiny.pcap.gz" -w "$scratch/events.bin" >"$scratch/stdout"
[ -s "$scratch/events.bin" ] || fail "-w wrote nothing"
[ ! -s "$scratch/stdout" ] || fail "-w still wrote JSON to stdout"

pk=$("$tool" -r "$fixtures/tiny.pcap.gz" --packets 15K | grep -c '"type":"packet"')
[ "$pk" -eq 10 ] || fail "expected 10 packet events under a 15K cut-off, got $pk"
pk=$("$tool" -r "$fixtures/tiny.pcap.gz" --packets 10 | grep -c '"type":"packet"')
[ "$pk" -eq 5 ] || fail "expected 5 packet events under a 10-byte cut-off (handshake and the first data packet of each flow), got $pk"

bench=$("$tool" --bench 2 -r "$fixtures")
grep -q "^captures 2 packets 20 rounds 2" <<<"$bench" || fail "--bench summary: $bench"
grep -q "^all analyzers .* packets/s" <<<"$bench" || fail "--bench rate: $bench"

set +e
err=$("$tool" -r "$scratch/missing.pcap" 2>&1); rc=$?
set -e
[ $rc -eq 1 ] || fail "missing file: exit $rc"
grep -q "missing.pcap: cannot open capture file" <<<"$err" || fail "missing file message: $err"
set +e
err=$("$tool" --bogus 2>&1); rc=$?
set -e
[ $rc -eq 2 ] || fail "unknown option: exit $rc"
grep -q "unknown option '--bogus'" <<<"$err" || fail "unknown option message: $err"
echo "coop-sensor CLI: all checks passed"
