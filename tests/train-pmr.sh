#!/bin/sh
# SPDX-License-Identifier: MIT
# train-pmr.sh - pmr (prototypical modal rebalance) through asgml-train:
# per-step signals are logged, two runs with the same seed give byte-identical
# logs and checkpoints (prototypes included), a run stopped after epoch 1 and
# resumed ends identical to the uninterrupted one, and the prototype term
# changes the weights (alpha 2 vs alpha 0); a model without exactly two
# modalities is a configuration error.
. "$top_srcdir/tests/lib.sh"
command -v h5diff >/dev/null 2>&1 || skip_all "h5diff not installed"
train=$(bin asgml-train)
mkstore="$top_builddir/tests/probe-mkstore"
d=$(tmpdir) || exit 1
trap 'rm -rf "$d"' EXIT
plan 13

"$mkstore" "$d/tiny.h5" 96 >/dev/null 2>&1
check "tiny store written" test -s "$d/tiny.h5"
args="--store $d/tiny.h5 --method pmr --epochs 3 --batch-size 16 --threads 2 --quiet
      --set model.width=4 --set optim.lr=0.01 --set pmr.momentum=0.5 --set pmr.end=1
      --set pmr.per=0.01 --set pmr.per-epochs=1"
check_exit 0 "run A" $train $args --out "$d/a"
check "steps log pmr.q, pmr.rho, pmr.beta, pmr.pce, pmr.per" \
    sh -c "grep '\"type\":\"step\"' '$d/a/log.jsonl' | head -1 | grep 'pmr.rho' | grep 'pmr.q.' | grep 'pmr.beta.' | grep 'pmr.pce.' | grep -q 'pmr.per'"
check_exit 0 "run B (same seed)" $train $args --out "$d/b"
strip() { sed 's/,"time_s":[^,}]*//' "$1"; }
strip "$d/a/log.jsonl" >"$d/la"
strip "$d/b/log.jsonl" >"$d/lb"
check "log.jsonl byte-identical" sh -c "test -s '$d/la' && cmp -s '$d/la' '$d/lb'"
same_ckpt() {
    for g in /params /buffers /optim /method; do
        h5diff -q "$1" "$2" "$g" "$g" >/dev/null 2>&1 || return 1
    done
}
check "checkpoints identical (prototypes included)" same_ckpt "$d/a/ckpt/last.h5" "$d/b/ckpt/last.h5"
check_exit 1 "run C stops after epoch 1" $train $args --out "$d/c" --set train.interrupt-after-epochs=1
check_exit 0 "run C resumes" $train --resume --out "$d/c" --quiet --set train.interrupt-after-epochs=0
strip "$d/c/log.jsonl" >"$d/lc"
check "resumed log equals the uninterrupted log" sh -c "test -s '$d/la' && cmp -s '$d/la' '$d/lc'"
check "resumed checkpoint equals the uninterrupted one" same_ckpt "$d/a/ckpt/last.h5" "$d/c/ckpt/last.h5"
check_exit 0 "run Z (alpha 0, no PER)" $train $args --set pmr.alpha=0 --set pmr.per=0 --out "$d/z"
if h5diff -q "$d/a/ckpt/last.h5" "$d/z/ckpt/last.h5" /params /params >/dev/null 2>&1; then
    fail "the prototype term changes the weights"
else
    pass "the prototype term changes the weights"
fi
check_exit 2 "one modality is a configuration error (exit 2)" \
    $train $args --set data.modalities=audio --out "$d/one"
done_testing
