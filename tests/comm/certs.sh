#!/usr/bin/env bash
# End-to-end test of coop-certs (ctest comm/coop-certs): the demo sets up
# three sites, `pin` agrees with the demo's config lines and with openssl(1),
# keys are private, nothing is overwritten, and a failed demo leaves nothing
# behind. Usage: certs.sh COOP_CERTS SCRATCH_DIR
set -uo pipefail
tool=$1
scratch=$2
rm -rf "$scratch"
mkdir -p "$scratch"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
have_openssl=0
command -v openssl >/dev/null 2>&1 && command -v sha256sum >/dev/null 2>&1 && have_openssl=1

# run EXPECTED_RC CMD...: runs CMD, output in $out, checks the exit code.
run() {
  local want=$1
  shift
  out=$("$@" 2>&1)
  local rc=$?
  [[ $rc == "$want" ]] || fail "'$*' exited $rc, expected $want: $out"
}

# --- help and usage errors
run 0 "$tool" --help
[[ $out == *"exit codes"* && $out == *"coop-certs demo"* ]] || fail "--help lacks usage or exit codes"
run 2 "$tool" frobnicate
[[ $out == *"unknown command 'frobnicate'"* ]] || fail "unknown command not named: $out"
run 2 "$tool" ca
[[ $out == *"needs --dir"* ]] || fail "missing --dir not reported: $out"
run 2 "$tool" demo --dir "$scratch/x" --sites a,a
[[ $out == *"'a' is listed twice"* ]] || fail "duplicate site not reported: $out"

# --- the demo: an authority and three sites
demo=$scratch/demo
run 0 "$tool" demo --dir "$demo" --sites alpha,beta,gamma
demo_out=$out
for s in coop-ca alpha beta gamma; do
  [[ -f $demo/$s.crt && -f $demo/$s.key ]] || fail "demo did not create $s.crt and $s.key"
  mode=$(stat -c %a "$demo/$s.key")
  [[ $mode == 600 ]] || fail "$s.key has mode $mode, expected 600"
done
for s in alpha beta gamma; do
  run 0 "$tool" pin "$demo/$s.crt"
  pin=$out
  [[ $pin =~ ^[0-9a-f]{64}$ ]] || fail "pin of $s is not 64 hex digits: $pin"
  grep -qx "  peer $s spki=$pin" <<<"$demo_out" || fail "demo output lacks 'peer $s spki=$pin'"
  if ((have_openssl)); then
    ossl=$(openssl x509 -in "$demo/$s.crt" -pubkey -noout | openssl pkey -pubin -outform der |
      sha256sum | cut -d' ' -f1)
    [[ $ossl == "$pin" ]] || fail "pin of $s is $pin, openssl computes $ossl"
    openssl verify -CAfile "$demo/coop-ca.crt" "$demo/$s.crt" >/dev/null 2>&1 ||
      fail "openssl verify rejects $s.crt against coop-ca.crt"
  fi
done
# The example configuration names the site's own files and the other peers.
grep -qx "ca $demo/coop-ca.crt" <<<"$demo_out" || fail "demo output lacks the ca line"
grep -qx "key $demo/alpha.key" <<<"$demo_out" || fail "demo output lacks alpha's key line"

# --- nothing is overwritten
before=$(sha256sum "$demo"/*.key)
run 1 "$tool" demo --dir "$demo" --sites alpha
[[ $out == *"refusing to overwrite existing file $demo/coop-ca.key"* ]] ||
  fail "second demo did not name the existing file: $out"
run 1 "$tool" site --ca "$demo/coop-ca" --dir "$demo" --name beta
[[ $out == *"refusing to overwrite existing file $demo/beta.key"* ]] ||
  fail "site over an existing one did not name the file: $out"
[[ $(sha256sum "$demo"/*.key) == "$before" ]] || fail "a refused command changed a key"

# --- a failed demo leaves nothing behind, and says which name was wrong
bad=$scratch/bad
run 1 "$tool" demo --dir "$bad" --sites good,"no way"
[[ $out == *'invalid site name "no way"'* ]] || fail "bad site name not named: $out"
[[ -z $(ls -A "$bad" 2>/dev/null) ]] || fail "failed demo left files: $(ls -A "$bad")"

# --- site and an expired certificate
run 0 "$tool" site --ca "$demo/coop-ca.crt" --dir "$scratch/more" --name delta
[[ $out == *"peer delta spki="* ]] || fail "site output lacks the peer line: $out"
run 0 "$tool" site --ca "$demo/coop-ca" --dir "$scratch/more" --name stale --expired
if ((have_openssl)); then
  openssl verify -CAfile "$demo/coop-ca.crt" "$scratch/more/delta.crt" >/dev/null 2>&1 ||
    fail "openssl verify rejects delta.crt"
  v=$(openssl verify -CAfile "$demo/coop-ca.crt" "$scratch/more/stale.crt" 2>&1)
  [[ $v == *"certificate has expired"* ]] || fail "--expired certificate not expired: $v"
fi
run 1 "$tool" site --ca "$scratch/nowhere/ca" --dir "$scratch/more" --name epsilon
[[ $out == *"$scratch/nowhere/ca.crt"* ]] || fail "missing authority not named: $out"

# --- pin errors name the file
run 1 "$tool" pin "$scratch/missing.crt"
[[ $out == *"$scratch/missing.crt"* ]] || fail "missing certificate not named: $out"
run 1 "$tool" pin "$demo/alpha.key"
[[ $out == *"$demo/alpha.key: not a PEM certificate"* ]] || fail "a key given to pin: $out"

if ((failures)); then
  echo "$failures check(s) failed"
  exit 1
fi
rm -rf "$scratch"
if ((!have_openssl)); then
  echo "COOP-SKIP: openssl(1) or sha256sum not on PATH; pins and chains not cross-checked"
fi
echo "all coop-certs checks passed"
