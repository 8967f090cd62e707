#!/bin/sh
# SPDX-License-Identifier: MIT
# inforeg-determinism.sh - an inforeg run (K = -1: every epoch from 2 on
# whose trace has not collapsed is a window) is reproducible: two runs with
# the same seed give byte-identical log.jsonl (wall-clock "time_s"
# stripped) and identical checkpoints; a run stopped after epoch 2 and
# continued with --resume (the PLW of epoch 3 comes from the saved traces
# of epochs 1 and 2) ends with the same log and checkpoint.  The log
# carries the traces, PLW flags and strengths, and regulation happened;
# asgml-ref needs model.uni=heads and runs with it.
. "$top_srcdir/tests/lib.sh"
command -v h5diff >/dev/null 2>&1 || skip_all "h5diff not installed"
train=$(bin asgml-train)
mkstore="$top_builddir/tests/probe-mkstore"
d=$(tmpdir) || exit 1
trap 'rm -rf "$d"' EXIT
plan 13

"$mkstore" "$d/tiny.h5" 96 >/dev/null 2>&1
check "tiny store written" test -s "$d/tiny.h5"
args="--store $d/tiny.h5 --method inforeg --epochs 4 --batch-size 16 --threads 2 --quiet
      --set model.width=4 --set optim.lr=0.05 --set inforeg.K=-1"
check_exit 0 "run A" $train $args --out "$d/a"
check_exit 0 "run B (same seed)" $train $args --out "$d/b"

strip() { sed 's/,"time_s":[^,}]*//' "$1"; }
strip "$d/a/log.jsonl" >"$d/la"
strip "$d/b/log.jsonl" >"$d/lb"
check "log.jsonl byte-identical" sh -c "test -s '$d/la' && cmp -s '$d/la' '$d/lb'"
check "log has inforeg.trace.<m>, inforeg.s.<m>, inforeg.dist.<m>" \
    sh -c "grep -q '\"inforeg.trace.audio\"' '$d/la' && grep -q '\"inforeg.s.visual\"' '$d/la' &&
           grep -q '\"inforeg.dist.audio\"' '$d/la'"
check "some step was regulated (inforeg.alpha > 0) in a window (inforeg.plw 1)" \
    sh -c "grep -q '\"inforeg.alpha.[a-z]*\":[1-9]' '$d/la' && grep -q '\"inforeg.plw.[a-z]*\":1' '$d/la'"
same_ckpt() {
    for g in /params /buffers /optim /method; do
        h5diff -q "$1" "$2" "$g" "$g" >/dev/null 2>&1 || return 1
    done
}
check "checkpoints identical" same_ckpt "$d/a/ckpt/last.h5" "$d/b/ckpt/last.h5"

check_exit 1 "run C stops after epoch 2 (interrupted)" \
    $train $args --out "$d/c" --set train.interrupt-after-epochs=2
check_exit 0 "run C resumes" $train --resume --out "$d/c" --quiet \
    --set train.interrupt-after-epochs=0
strip "$d/c/log.jsonl" >"$d/lc"
check "resumed log equals the uninterrupted log" sh -c "cmp -s '$d/la' '$d/lc'"
check "resumed checkpoint equals the uninterrupted one" \
    same_ckpt "$d/a/ckpt/last.h5" "$d/c/ckpt/last.h5"
check_exit 2 "inforeg.variant=asgml-ref with split logits is refused" \
    $train $args --out "$d/r1" --set inforeg.variant=asgml-ref
check_exit 0 "inforeg.variant=asgml-ref with model.uni=heads runs" \
    $train $args --out "$d/r2" --set inforeg.variant=asgml-ref --set model.uni=heads
done_testing
