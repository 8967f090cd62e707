#!/bin/sh
# SPDX-License-Identifier: MIT
# mmpareto-determinism.sh - asgml-train --method mmpareto (asgml-methods(7),
# MMPARETO) is reproducible: two runs with the same seed give byte-identical
# log.jsonl (wall-clock "time_s" stripped) and identical checkpoints; a run
# stopped after epoch 1 and continued with --resume ends with the same log
# and checkpoint as the uninterrupted run.  The per-step log carries
# mmpareto.cos/w_mm/w_u/r for both modalities, with w_mm + w_u = 1.
# Pattern of tests/train-determinism.sh.
. "$top_srcdir/tests/lib.sh"
command -v h5diff >/dev/null 2>&1 || skip_all "h5diff not installed"
train=$(bin asgml-train)
mkstore="$top_builddir/tests/probe-mkstore"
d=$(tmpdir) || exit 1
trap 'rm -rf "$d"' EXIT
plan 10

"$mkstore" "$d/tiny.h5" 96 >/dev/null 2>&1
check "tiny store written" test -s "$d/tiny.h5"
args="--store $d/tiny.h5 --method mmpareto --epochs 3 --batch-size 16 --threads 2 --quiet
      --set model.width=4 --set optim.lr=0.01 --set train.log-every=1"
check_exit 0 "run A" $train $args --out "$d/a"
check_exit 0 "run B (same seed)" $train $args --out "$d/b"

strip() { sed 's/,"time_s":[^,}]*//' "$1"; }
strip "$d/a/log.jsonl" >"$d/la"
strip "$d/b/log.jsonl" >"$d/lb"
check "log.jsonl byte-identical" sh -c "test -s '$d/la' && cmp -s '$d/la' '$d/lb'"
same_ckpt() {
    for g in /params /buffers /optim; do
        h5diff -q "$1" "$2" "$g" "$g" >/dev/null 2>&1 || return 1
    done
}
check "checkpoints identical (params, buffers, optimiser)" \
    same_ckpt "$d/a/ckpt/last.h5" "$d/b/ckpt/last.h5"
check "step records carry mmpareto.cos/w_mm/w_u/r for audio and visual" \
    sh -c "grep -q '\"mmpareto.cos.audio\"' '$d/la' && grep -q '\"mmpareto.w_mm.visual\"' '$d/la' &&
           grep -q '\"mmpareto.w_u.audio\"' '$d/la' && grep -q '\"mmpareto.r.visual\"' '$d/la'"
# w_mm + w_u = 1 in every step record
check "w_mm + w_u = 1 in every step" sh -c "
    grep '\"mmpareto.w_mm.audio\"' '$d/la' |
    sed 's/.*\"mmpareto.w_mm.audio\":\([^,}]*\).*\"mmpareto.w_u.audio\":\([^,}]*\).*/\1 \2/' |
    awk '{ n++; if (\$1 + \$2 < 0.999999 || \$1 + \$2 > 1.000001) bad++ } END { exit !(n > 0 && !bad) }'"

check_exit 1 "run C stops after epoch 1 (exit 1, interrupted)" \
    $train $args --out "$d/c" --set train.interrupt-after-epochs=1
check_exit 0 "run C resumes" $train --resume --out "$d/c" --quiet \
    --set train.interrupt-after-epochs=0
strip "$d/c/log.jsonl" >"$d/lc"
check "resumed log and checkpoint equal the uninterrupted run's" \
    sh -c "cmp -s '$d/la' '$d/lc' && h5diff -q '$d/a/ckpt/last.h5' '$d/c/ckpt/last.h5' /params /params >/dev/null 2>&1 && h5diff -q '$d/a/ckpt/last.h5' '$d/c/ckpt/last.h5' /optim /optim >/dev/null 2>&1"
done_testing
