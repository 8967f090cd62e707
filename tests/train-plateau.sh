#!/bin/sh
# SPDX-License-Identifier: MIT
# train-plateau.sh - sched.name=plateau (ReduceLROnPlateau on the validation
# loss, asgml-train(1)) through asgml-train on the tiny store (no val split:
# the stratified hold-out is made): with patience 0 and threshold 0.99 (no
# later epoch counts as better) and cooldown 1 the lr is cut after epochs 1
# and 3, and the epoch records log plateau.*; a run stopped
# after epoch 2 and resumed ends with the same log and checkpoint as the
# uninterrupted run (the schedule state is in the checkpoint); bad keys are
# configuration errors (exit 2).
. "$top_srcdir/tests/lib.sh"
command -v h5diff >/dev/null 2>&1 || skip_all "h5diff not installed"
train=$(bin asgml-train)
mkstore="$top_builddir/tests/probe-mkstore"
d=$(tmpdir) || exit 1
trap 'rm -rf "$d"' EXIT
plan 11

"$mkstore" "$d/tiny.h5" 96 >/dev/null 2>&1
check "tiny store written" test -s "$d/tiny.h5"
args="--store $d/tiny.h5 --epochs 5 --batch-size 16 --threads 2 --quiet
      --set model.width=4 --set optim.lr=0.01 --set sched.name=plateau
      --set sched.patience=0 --set sched.threshold=0.99 --set sched.cooldown=1
      --set sched.factor=0.5"
check_exit 0 "run A (plateau)" $train $args --out "$d/a"
strip() { sed 's/,"time_s":[^,}]*//' "$1"; }
strip "$d/a/log.jsonl" >"$d/la"
lrs=$(sed -n 's/.*"type":"epoch","epoch":[0-9]*,"lr":\([^,]*\),.*/\1/p' "$d/la" | tr '\n' ' ')
check "epoch lrs follow patience 0, cooldown 1, factor 0.5 ($lrs)" \
    test "$lrs" = "0.01 0.01 0.005 0.005 0.0025 "
check "epoch records carry plateau.* and the validation loss" sh -c \
    "grep -q '\"plateau.reduced\":1' '$d/la' && grep -q '\"plateau.best\"' '$d/la' &&
     grep -q '\"plateau.next_lr\"' '$d/la' && grep -q '\"val.loss\"' '$d/la'"
same_ckpt() {
    for g in /params /buffers /optim; do
        h5diff -q "$1" "$2" "$g" "$g" >/dev/null 2>&1 || return 1
    done
}
check_exit 1 "run C stops after epoch 2 (exit 1, interrupted)" \
    $train $args --out "$d/c" --set train.interrupt-after-epochs=2
check "the checkpoint holds the plateau state" sh -c \
    "h5dump -A '$d/c/ckpt/last.h5' 2>/dev/null | grep -q 'num_bad_epochs'"
check_exit 0 "run C resumes" $train --resume --out "$d/c" --quiet \
    --set train.interrupt-after-epochs=0
strip "$d/c/log.jsonl" >"$d/lc"
check "resumed log equals the uninterrupted log" sh -c "test -s '$d/la' && cmp -s '$d/la' '$d/lc'"
check "resumed checkpoint equals the uninterrupted one" \
    same_ckpt "$d/a/ckpt/last.h5" "$d/c/ckpt/last.h5"
check_exit 2 "sched.factor 1 is a configuration error" \
    $train $args --set sched.factor=1 --out "$d/e1"
check_exit 2 "sched.threshold-mode bogus is a configuration error" \
    $train $args --set sched.threshold-mode=bogus --out "$d/e2"
