#!/bin/sh
# SPDX-License-Identifier: MIT
# train-log-resume.sh - --resume checks log.jsonl against the checkpoint:
# a log shorter than the checkpoint records (truncate -s 100), or deleted,
# is refused with exit 1 and one line, and nothing is written to it (before:
# exit 0 with ~3,400 NUL bytes in the log, or earlier records silently lost).
. "$top_srcdir/tests/lib.sh"
train=$(bin asgml-train)
mkstore="$top_builddir/tests/probe-mkstore"
d=$(tmpdir) || exit 1
trap 'rm -rf "$d"' EXIT
plan 7
"$mkstore" "$d/tiny.h5" 64 >/dev/null 2>&1
"$train" --store "$d/tiny.h5" --epochs 4 --batch-size 16 --quiet --set model.width=4 \
    --set train.interrupt-after-epochs=2 --out "$d/run" >/dev/null 2>&1
check "an interrupted run with a checkpoint" test -f "$d/run/ckpt/last.h5"
cp -r "$d/run" "$d/short"
truncate -s 100 "$d/short/log.jsonl"
"$train" --resume --out "$d/short" >/dev/null 2>"$d/err"; rc=$?
check "truncated log: exit 1 (got $rc)" test $rc -eq 1
check "truncated log: one line saying so" \
    sh -c "test \$(wc -l <'$d/err') -eq 1 && grep -q 'log.jsonl: 100 bytes, the checkpoint follows' '$d/err'"
nuls=$(tr -cd '\000' <"$d/short/log.jsonl" | wc -c)
check "truncated log: no NUL byte written ($nuls)" test "$nuls" -eq 0
cp -r "$d/run" "$d/gone"
rm "$d/gone/log.jsonl"
"$train" --resume --out "$d/gone" >/dev/null 2>"$d/err"; rc=$?
check "deleted log: exit 1 (got $rc)" test $rc -eq 1
check "deleted log: one line saying so" \
    sh -c "test \$(wc -l <'$d/err') -eq 1 && grep -q 'log.jsonl: missing, the checkpoint follows' '$d/err'"
"$train" --resume --out "$d/run" >/dev/null 2>"$d/err"; rc=$?
check "an intact log resumes (exit $rc)" test $rc -eq 0
done_testing
