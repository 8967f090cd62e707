# SPDX-License-Identifier: MIT
# tests/lib.sh - helpers for the shell tests (TAP output).
# Usage: . "$top_srcdir/tests/lib.sh"; plan N; ok COND-COMMAND "name"; ...
n=0
failed=0
plan() { echo "1..$1"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
pass() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
# check "name" command...   : passes when the command exits 0
check() { name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
# check_exit STATUS "name" command... : passes when the command exits STATUS
check_exit() {
    want=$1; name=$2; shift 2
    "$@" >/dev/null 2>&1; got=$?
    if [ "$got" -eq "$want" ]; then pass "$name"; else fail "$name (exit $got, want $want)"; fi
}
done_testing() { [ "$failed" -eq 0 ]; exit $?; }
bin() { echo "$top_builddir/tools/$1"; }
tmpdir() { d=$(mktemp -d "${TMPDIR:-/tmp}/asgml-test.XXXXXX") && echo "$d"; }
