#!/bin/sh
# SPDX-License-Identifier: MIT
# train-agm-resume.sh - agm (asgml-methods(7), AGM) through asgml-train: the
# per-step signals are logged, the running means Sbar and the sticky k are
# in the checkpoint's method state, and a run stopped after epoch 1
# (train.interrupt-after-epochs) and continued with --resume ends with the
# same log and checkpoint as the uninterrupted run.  The window ends at
# epoch 1 with agm.sticky 1, so epoch 2 runs on the k restored from the
# checkpoint.
. "$top_srcdir/tests/lib.sh"
command -v h5diff >/dev/null 2>&1 || skip_all "h5diff not installed"
train=$(bin asgml-train)
mkstore="$top_builddir/tests/probe-mkstore"
d=$(tmpdir) || exit 1
trap 'rm -rf "$d"' EXIT
plan 9

"$mkstore" "$d/tiny.h5" 96 >/dev/null 2>&1
check "tiny store written" test -s "$d/tiny.h5"
args="--store $d/tiny.h5 --method agm --epochs 3 --batch-size 16 --threads 2 --quiet
      --set model.width=4 --set optim.lr=0.01 --set agm.end=1 --set agm.sticky=1"
check_exit 0 "run A (agm)" $train $args --out "$d/a"
strip() { sed 's/,"time_s":[^,}]*//' "$1"; }
strip "$d/a/log.jsonl" >"$d/la"
check "agm.s, agm.sbar, agm.r, agm.rbar, agm.k, agm.clip.fired logged" sh -c \
    "grep -q '\"agm.s.audio\"' '$d/la' && grep -q '\"agm.sbar.visual\"' '$d/la' &&
     grep -q '\"agm.r.audio\"' '$d/la' && grep -q '\"agm.rbar.visual\"' '$d/la' &&
     grep -q '\"agm.k.audio\"' '$d/la' && grep -q '\"agm.clip.fired\"' '$d/la'"
check "Sbar and the sticky k are in the checkpoint" sh -c \
    "h5dump -n '$d/a/ckpt/last.h5' 2>/dev/null | grep -q 'agm.sbar' &&
     h5dump -n '$d/a/ckpt/last.h5' 2>/dev/null | grep -q 'agm.last_k'"
same_ckpt() {
    for g in /params /buffers /optim /method; do
        h5diff -q "$1" "$2" "$g" "$g" >/dev/null 2>&1 || return 1
    done
}
check_exit 1 "run C stops after epoch 1 (exit 1, interrupted)" \
    $train $args --out "$d/c" --set train.interrupt-after-epochs=1
check_exit 0 "run C resumes" $train --resume --out "$d/c" --quiet \
    --set train.interrupt-after-epochs=0
strip "$d/c/log.jsonl" >"$d/lc"
check "resumed log equals the uninterrupted log" sh -c "test -s '$d/la' && cmp -s '$d/la' '$d/lc'"
check "resumed checkpoint equals the uninterrupted one" \
    same_ckpt "$d/a/ckpt/last.h5" "$d/c/ckpt/last.h5"
check_exit 0 "variant bmm runs" $train $args --set agm.variant=bmm --out "$d/b"
