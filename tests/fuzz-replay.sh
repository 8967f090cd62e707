#!/bin/sh
# SPDX-License-Identifier: MIT
# fuzz-replay.sh - the fuzzers' seeds (fuzz/corpus/NAME/) and every input a
# fuzzer found faulty (tests/fixtures/fuzz/NAME/, one file per finding,
# named for the fault) and the inputs of fuzz/known/ (NAME-what.ext: faults
# reached through a Debian library that asgml now avoids, fuzz/known/README)
# go through the harness fuzz/fuzz_NAME.c built with an ordinary main
# (tests/test-fuzz-NAME, tests/fuzz-replay.c): a trap, a crash or, in a
# sanitizer build, a sanitizer report fails (HACKING, Fuzzing).
. "$top_srcdir/tests/lib.sh"
names="manifest config wav flac ogg png jpeg store checkpoint"
known=$(find "$top_srcdir/fuzz/known" -type f ! -name README | sort)
plan $(( $(echo $names | wc -w) + $(find "$top_srcdir/tests/fixtures/fuzz" -type f | wc -l) + $(echo $known | wc -w) ))
FUZZ_TMPDIR=$(tmpdir) || exit 1
export FUZZ_TMPDIR
trap 'rm -rf "$FUZZ_TMPDIR"' EXIT
for name in $names; do
    prog=$top_builddir/tests/test-fuzz-$name
    if out=$("$prog" "$top_srcdir/fuzz/corpus/$name"/* 2>&1); then
        pass "$name: seed corpus ($out)"
    else
        fail "$name: seed corpus: $(printf '%s' "$out" | tail -n 3)"
    fi
done
for f in $(find "$top_srcdir/tests/fixtures/fuzz" -type f | sort); do
    name=$(basename "$(dirname "$f")")
    if out=$("$top_builddir/tests/test-fuzz-$name" "$f" 2>&1); then
        pass "regression $name/$(basename "$f")"
    else
        fail "regression $name/$(basename "$f"): $(printf '%s' "$out" | tail -n 3)"
    fi
done
for f in $known; do
    base=$(basename "$f")
    name=${base%%-*}
    if out=$("$top_builddir/tests/test-fuzz-$name" "$f" 2>&1); then
        pass "known $base"
    else
        fail "known $base: $(printf '%s' "$out" | tail -n 3)"
    fi
done
done_testing
