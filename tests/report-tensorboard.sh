#!/bin/sh
# SPDX-License-Identifier: MIT
# report-tensorboard.sh - asgml-report --tensorboard on the hand-made run
# tests/fixtures/report/tb/ogm.s1 (OGM-GE signals, two epochs and an
# interrupted third): every event file byte for byte against the SHA-256 of
# the files an independent writer made (tests/fixtures/make_tensorboard_
# fixtures.py: python3-protobuf, python3-crc32c), the same bytes twice,
# and failures: an unwritable DIR exits 1 and leaves no partial file.
. "$top_srcdir/tests/lib.sh"
R=$(cd "$top_builddir" && pwd)/tools/asgml-report
fx=$(cd "$top_srcdir/tests/fixtures/report" && pwd)
t=$(tmpdir) || exit 1
trap 'chmod -R u+w "$t" 2>/dev/null; rm -rf "$t"' EXIT
plan 8

mkdir -p "$t/runs" && cp -R "$fx/tb/ogm.s1" "$t/runs/" && chmod -R u+w "$t/runs"
# the wall times start at config.json's modification time
touch -d @1700000000 "$t/runs/ogm.s1/config.json"
cd "$t" || exit 1

"$R" --tensorboard tb runs/ogm.s1 >table.md 2>err; st=$?
check "exit 0 (got $st: $(head -c 200 err))" test "$st" -eq 0
check "the table is still written" grep -q ogm-ge table.md
nexp=$(wc -l <"$fx/tensorboard.sha256")
ngot=$(find tb -type f | wc -l)
check "$nexp event files written (got $ngot)" test "$ngot" -eq "$nexp"
(cd tb && sha256sum -c "$fx/tensorboard.sha256") >sums 2>&1; st=$?
sed 's/^/# /' sums
check "every file equals the independent writer's, byte for byte" test "$st" -eq 0

"$R" --tensorboard tb2 runs/ogm.s1 >/dev/null 2>&1
check "the same run gives the same bytes" diff -r tb tb2

# a run path given as an absolute path lands under its last component
"$R" --tensorboard tb3 "$t/runs/ogm.s1/" >/dev/null 2>&1
check "absolute run path: DIR/ogm.s1/" test -f tb3/ogm.s1/events.out.tfevents.1700000000.asgml

# DIR cannot be made: exit 1, one line, nothing written
: >notadir
"$R" --tensorboard notadir/x runs/ogm.s1 >/dev/null 2>err; st=$?
check "DIR under a file: exit 1 with a message (got $st)" sh -c "test $st -eq 1 && test \$(wc -l <err) -eq 1"
if [ "$(id -u)" -ne 0 ]; then
    mkdir ro && chmod a-w ro
    "$R" --tensorboard ro/tb runs/ogm.s1 >/dev/null 2>&1; st=$?
    check "read-only DIR: exit 1, no file left (got $st)" sh -c "test $st -eq 1 && test -z \"\$(find ro -type f)\""
else
    pass "# SKIP read-only directory check needs a non-root user"
fi
done_testing
