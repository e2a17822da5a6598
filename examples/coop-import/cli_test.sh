#!/usr/bin/env bash
# End-to-end test of coop-import: formats, outputs, problems naming
# file:line, the summary and every documented exit status.
# Usage: cli_test.sh COOP_IMPORT FIXTURES_DIR WORK_DIR
set -uo pipefail
tool=$1 fixtures=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# expect_status WANT CMD...: runs CMD with stdout to out.txt and stderr to err.txt.
expect_status() {
  local want=$1; shift
  "$@" >out.txt 2>err.txt
  local got=$?
  [[ $got -eq $want ]] || { fail "'$*' exited $got, expected $want"; sed 's/^/  stderr: /' err.txt | head -5; }
}
expect_in() { grep -qF -- "$2" "$1" || fail "'$2' not in $1: $(head -c 300 "$1")"; }
lines() { wc -l <"$1" | tr -d ' '; }

# Help and usage errors (exit 0 and 2).
expect_status 0 "$tool" --help
expect_in out.txt "Exit status: 0 all imported"
expect_status 2 "$tool"
expect_in err.txt "no input files"
expect_status 2 "$tool" --format nope x
expect_in err.txt "unknown format 'nope'"
expect_status 2 "$tool" --bogus x
expect_status 2 "$tool" --year 12 x

# A clean zeek-cut file from stdin: exit 0, one event per row.
expect_status 0 "$tool" --format zeek --zeek-path syslog --site lbl.gov --sensor s1 - <"$fixtures/syslog.cut"
[[ $(lines out.txt) -eq 2 ]] || fail "syslog.cut gave $(lines out.txt) events, expected 2"
expect_in out.txt '"type":"syslog_message"'
expect_in out.txt '"site":"lbl.gov","sensor":"s1"'
expect_in err.txt "zeek/syslog"

# Malformed lines: reported with file:line, skipped, exit 1; the rest imported.
expect_status 1 "$tool" "$fixtures/http-escapes.log"
[[ $(lines out.txt) -eq 3 ]] || fail "http-escapes.log gave $(lines out.txt) events, expected 3"
expect_in err.txt "http-escapes.log:11: column 'id.orig_h': 'bad-address' is not a valid addr (skipped)"
expect_in err.txt "http-escapes.log:12: 10 columns but the header has 16 (skipped)"
grep -Eq '^zeek/http +5 +3 +3 +0' err.txt || fail "summary line for zeek/http wrong: $(grep zeek/http err.txt)"

# A log the catalogue does not define: its schema learnt from the header, written with --schemas.
expect_status 1 "$tool" --schemas schemas.jsonl "$fixtures/redef-separators.log"
expect_in out.txt '"type":"zeek.test_log"'
expect_in schemas.jsonl '"name":"zeek.test_log"'

# --max-problems: the rest are counted.
expect_status 1 "$tool" --max-problems 1 "$fixtures/http-escapes.log"
expect_in err.txt "2 more problems not shown"

# gzip input gives the same events.
gzip -c "$fixtures/http-escapes.log" >http.log.gz
expect_status 1 "$tool" http.log.gz
[[ $(lines out.txt) -eq 3 ]] || fail "gzip input gave $(lines out.txt) events"

# Format detection across kinds in one run, binary output to a file.
expect_status 1 "$tool" --output binary -o events.bin "$fixtures/ips.txt" "$fixtures/bundle.json" \
  "$fixtures/misp-event.json" "$fixtures/feed.intel" "$fixtures/apache-edge.log" "$fixtures/auth-edge.log"
[[ -s events.bin ]] || fail "binary output is empty"
[[ ! -s out.txt ]] || fail "binary output went to stdout too"
for kind in iplist stix misp intel apache sshd; do
  grep -Eq "^$kind " err.txt || fail "no summary line for $kind"
done

# Exit 3: an input that cannot be read or recognised; the others are still imported.
printf 'hello\nworld\n' >mystery.txt
expect_status 3 "$tool" missing.log mystery.txt "$fixtures/syslog.cut" --zeek-path syslog
expect_in err.txt "missing.log: cannot open"
expect_in err.txt "mystery.txt: cannot tell the format"
[[ $(lines out.txt) -eq 2 ]] || fail "the readable input was not imported"

# Exit 4: the output cannot be written.
expect_status 4 "$tool" -o /nonexistent-dir/out.jsonl "$fixtures/syslog.cut"

# Real data, when present: the whole auth.log, nothing skipped.
data=${COOP_DATA:-$fixtures/../../../../shared/data}
if [[ -f "$data/sshd/elastic-examples/auth.log" ]]; then
  expect_status 0 "$tool" --year 2017 -o auth.jsonl "$data/sshd/elastic-examples/auth.log"
  grep -Eq '^sshd +7121 ' err.txt || fail "auth.log summary: $(grep '^sshd' err.txt)"
else
  echo "note: $data absent, real-data part not run"
fi

if [[ -f "$data/intel/zeek-format/cps/drb_ra_ip.intel" ]]; then
  cps="$data/intel/zeek-format/cps"
  expect_status 0 "$tool" --previous "$cps/drb_ra_ip.2026-08-16.intel" "$cps/drb_ra_ip.intel"
  [[ $(grep -c '"removed":true' out.txt) -eq 28 ]] || fail "delta: $(grep -c '"removed":true' out.txt) withdrawals, expected 28"
  [[ $(grep -c '"removed":false' out.txt) -eq 21 ]] || fail "delta: $(grep -c '"removed":false' out.txt) additions, expected 21"
fi

if [[ $failures -ne 0 ]]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "coop-import CLI: all checks passed"
