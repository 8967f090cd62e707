#!/bin/sh
# SPDX-License-Identifier: MIT
# cggm-determinism.sh - a cggm run is reproducible: two runs with the same
# seed give byte-identical log.jsonl (wall-clock "time_s" stripped),
# summary.json metrics and checkpoints; a run stopped after epoch 1 and
# continued with --resume ends with the same log and checkpoint (the
# classifiers, their Adam state, acc_m(t-1), B and the delayed L_gm
# gradient are method state).  The first step after a (re)start is where
# the fused-head weights are first read, so both the fresh start and the
# resume are covered.  Also the asgml-ref variant, and the log carries the
# cggm signals.
. "$top_srcdir/tests/lib.sh"
command -v h5diff >/dev/null 2>&1 || skip_all "h5diff not installed"
train=$(bin asgml-train)
mkstore="$top_builddir/tests/probe-mkstore"
d=$(tmpdir) || exit 1
trap 'rm -rf "$d"' EXIT
plan 13

"$mkstore" "$d/tiny.h5" 96 >/dev/null 2>&1
check "tiny store written" test -s "$d/tiny.h5"
args="--store $d/tiny.h5 --method cggm --epochs 3 --batch-size 16 --threads 2 --quiet
      --set model.width=4 --set optim.lr=0.01"
check_exit 0 "run A" $train $args --out "$d/a"
check_exit 0 "run B (same seed)" $train $args --out "$d/b"

strip() { sed 's/,"time_s":[^,}]*//' "$1"; }
# summary.json without the wall-clock and resource fields
metrics() { grep -v '"wall_time_s"\|"train_time_s"\|"samples_per_s"\|"peak_rss_mb"\|"path"' "$1"; }
strip "$d/a/log.jsonl" >"$d/la"
strip "$d/b/log.jsonl" >"$d/lb"
check "log.jsonl byte-identical" sh -c "test -s '$d/la' && cmp -s '$d/la' '$d/lb'"
metrics "$d/a/summary.json" >"$d/sa"
metrics "$d/b/summary.json" >"$d/sb"
check "summary.json metrics identical" sh -c "test -s '$d/sa' && cmp -s '$d/sa' '$d/sb'"
check "log has cggm.cos.<m>, cggm.B.<m>, cggm.Lgm, cggm.clip.fired" \
    sh -c "grep -q '\"cggm.cos.audio\"' '$d/la' && grep -q '\"cggm.B.visual\"' '$d/la' &&
           grep -q '\"cggm.Lgm\"' '$d/la' && grep -q '\"cggm.clip.fired\"' '$d/la'"
same_ckpt() {
    for g in /params /buffers /optim /method; do
        h5diff -q "$1" "$2" "$g" "$g" >/dev/null 2>&1 || return 1
    done
}
check "checkpoints identical" same_ckpt "$d/a/ckpt/last.h5" "$d/b/ckpt/last.h5"

check_exit 1 "run C stops after epoch 1 (interrupted)" \
    $train $args --out "$d/c" --set train.interrupt-after-epochs=1
check_exit 0 "run C resumes" $train --resume --out "$d/c" --quiet \
    --set train.interrupt-after-epochs=0
strip "$d/c/log.jsonl" >"$d/lc"
check "resumed log equals the uninterrupted log" sh -c "cmp -s '$d/la' '$d/lc'"
check "resumed checkpoint equals the uninterrupted one" \
    same_ckpt "$d/a/ckpt/last.h5" "$d/c/ckpt/last.h5"

# asgml-ref: gradient cosines read the fused-head gradient at the first step
$train $args --out "$d/r1" --set cggm.variant=asgml-ref >/dev/null 2>&1
$train $args --out "$d/r2" --set cggm.variant=asgml-ref >/dev/null 2>&1
strip "$d/r1/log.jsonl" >"$d/lr1" 2>/dev/null
strip "$d/r2/log.jsonl" >"$d/lr2" 2>/dev/null
check "asgml-ref: same-seed logs byte-identical" \
    sh -c "test -s '$d/lr1' && cmp -s '$d/lr1' '$d/lr2'"
check "asgml-ref: no non-finite value logged" \
    sh -c "! grep -qi 'nan\|inf' '$d/lr1'"
done_testing
