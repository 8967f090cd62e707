#!/bin/sh
# SPDX-License-Identifier: MIT
# tools-cli.sh - every tool has coreutils manners: --help on stdout with
# exit 0, --version with the compiled-in features, a usage error as one
# line plus "Try ..." on stderr with exit 2, and a failed write to stdout
# is an error.
. "$top_srcdir/tests/lib.sh"
tools="asgml-prep asgml-train asgml-probe asgml-report asgml-eval"
plan 35
t=$(tmpdir) || exit 1
trap 'rm -rf "$t"' EXIT
for tool in $tools; do
    b=$(bin $tool)
    "$b" --help >"$t/out" 2>"$t/err"; st=$?
    check "$tool --help exits 0" test $st -eq 0
    check "$tool --help prints Usage on stdout, nothing on stderr" \
        sh -c "grep -q '^Usage: $tool' '$t/out' && ! test -s '$t/err'"
    "$b" --version >"$t/out" 2>&1; st=$?
    check "$tool --version exits 0" test $st -eq 0
    check "$tool --version names version and features" \
        sh -c "grep -q '^$tool (asgml) [0-9]' '$t/out' && grep -q 'cuda=' '$t/out' && grep -q 'cudnn=' '$t/out' && grep -q 'blas=' '$t/out' && grep -q 'threads=' '$t/out'"
    "$b" --no-such-option >"$t/out" 2>"$t/err"; st=$?
    check "$tool bad option exits 2" test $st -eq 2
    check "$tool bad option says Try '$tool --help'" \
        sh -c "grep -q \"^Try '$tool --help' for more information.\" '$t/err' && ! test -s '$t/out'"
    if [ -w /dev/full ]; then
        "$b" --help >/dev/full 2>"$t/err"; st=$?
        check "$tool --help >/dev/full fails with exit 1" sh -c "test $st -eq 1 && grep -q 'write error' '$t/err'"
    else
        pass "# SKIP no /dev/full"
    fi
done
done_testing
