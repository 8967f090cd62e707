#!/bin/sh
# SPDX-License-Identifier: MIT
# train-determinism-opm.sh - opm and opm+ogm-ge (drops executed from epoch 0:
# opm.warmup=-1) are reproducible: two runs with the same seed give
# byte-identical log.jsonl (time_s stripped) and identical checkpoints; a run
# stopped after epoch 1 and resumed ends with the same log and checkpoint
# (the Philox counter of the drop draws is part of the resumed state).
. "$top_srcdir/tests/lib.sh"
command -v h5diff >/dev/null 2>&1 || skip_all "h5diff not installed"
train=$(bin asgml-train)
mkstore="$top_builddir/tests/probe-mkstore"
d=$(tmpdir) || exit 1
trap 'rm -rf "$d"' EXIT
plan 13

"$mkstore" "$d/tiny.h5" 96 >/dev/null 2>&1
check "tiny store written" test -s "$d/tiny.h5"
strip() { sed 's/,"time_s":[^,}]*//' "$1"; }
same_ckpt() {
    for g in /params /buffers /optim; do
        h5diff -q "$1" "$2" "$g" "$g" >/dev/null 2>&1 || return 1
    done
}
for m in opm opm+ogm-ge; do
    args="--store $d/tiny.h5 --method $m --epochs 3 --batch-size 16 --threads 2 --quiet
          --set model.width=4 --set optim.lr=0.01 --set opm.warmup=-1"
    check_exit 0 "$m: run A" $train $args --out "$d/$m-a"
    check_exit 0 "$m: run B (same seed)" $train $args --out "$d/$m-b"
    strip "$d/$m-a/log.jsonl" >"$d/la"
    strip "$d/$m-b/log.jsonl" >"$d/lb"
    check "$m: drops executed and log byte-identical" \
        sh -c "grep -q '\"opm.executed\":1' '$d/la' && cmp -s '$d/la' '$d/lb'"
    check_exit 1 "$m: run C stops after epoch 1" \
        $train $args --out "$d/$m-c" --set train.interrupt-after-epochs=1
    check_exit 0 "$m: run C resumes" $train --resume --out "$d/$m-c" --quiet \
        --set train.interrupt-after-epochs=0
    strip "$d/$m-c/log.jsonl" >"$d/lc"
    resumed_same() { cmp -s "$d/la" "$d/lc" && same_ckpt "$d/$m-a/ckpt/last.h5" "$d/$m-c/ckpt/last.h5"; }
    check "$m: resumed log and checkpoint equal the uninterrupted run" resumed_same
done
