#!/bin/sh
# SPDX-License-Identifier: MIT
# train-rundir-lock.sh - one writer per run directory: while a run holds
# DIR/lock (flock), asgml-train --resume --out DIR exits 1 naming the
# holder's pid and writes nothing; after the holder is killed (kill -9:
# the kernel releases the lock) --resume continues the run.
. "$top_srcdir/tests/lib.sh"
train=$(bin asgml-train)
mkstore="$top_builddir/tests/probe-mkstore"
d=$(tmpdir) || exit 1
pid=
trap '[ -z "$pid" ] || kill -9 $pid 2>/dev/null; rm -rf "$d"' EXIT
command -v timeout >/dev/null 2>&1 || skip_all "no timeout(1)"
plan 6
"$mkstore" "$d/tiny.h5" 64 >/dev/null 2>&1
base="--store $d/tiny.h5 --batch-size 16 --quiet --set model.width=4"

"$train" $base --epochs 100000 --out "$d/run" 2>"$d/err1" &
pid=$!
i=0   # until the first checkpoint is in place (at most 60 s)
while [ ! -f "$d/run/ckpt/last.h5" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
check "the first run is running with a checkpoint" kill -0 $pid
timeout 30 "$train" --resume --out "$d/run" >/dev/null 2>"$d/err"; rc=$?
check "a second writer exits 1 (got $rc)" test $rc -eq 1
check "its one line names the holder's pid $pid" \
    sh -c "test \$(wc -l <'$d/err') -eq 1 && grep -q 'in use by another asgml-train (pid $pid)' '$d/err'"
check "the first run is still running" kill -0 $pid
kill -9 $pid
wait $pid 2>/dev/null
pid=
e=$(grep -c '"type": *"epoch"' "$d/run/log.jsonl")
"$train" --resume --out "$d/run" --epochs $((e + 1)) >/dev/null 2>"$d/err"; rc=$?
check "after kill -9 of the holder, --resume gets the lock" sh -c "! grep -q 'in use' '$d/err'"
check "and finishes the run (exit $rc, to $((e + 1)) epochs)" test $rc -eq 0
done_testing
