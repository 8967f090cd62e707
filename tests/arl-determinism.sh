#!/bin/sh
# SPDX-License-Identifier: MIT
# arl-determinism.sh - an arl run (modulation from epoch 1: arl.es=0) is
# reproducible: two runs with the same seed give byte-identical log.jsonl
# (wall-clock "time_s" stripped) and identical checkpoints; a run stopped
# after epoch 1 and continued with --resume ends with the same log and
# checkpoint (incl. the method state).  The log carries the arl signals,
# the model uses the zero provider, and the clip flag is recorded.
. "$top_srcdir/tests/lib.sh"
command -v h5diff >/dev/null 2>&1 || skip_all "h5diff not installed"
train=$(bin asgml-train)
mkstore="$top_builddir/tests/probe-mkstore"
d=$(tmpdir) || exit 1
trap 'rm -rf "$d"' EXIT
plan 11

"$mkstore" "$d/tiny.h5" 96 >/dev/null 2>&1
check "tiny store written" test -s "$d/tiny.h5"
args="--store $d/tiny.h5 --method arl --epochs 3 --batch-size 16 --threads 2 --quiet
      --set model.width=4 --set optim.lr=0.01 --set arl.es=0 --set arl.clip=1"
check_exit 0 "run A" $train $args --out "$d/a"
check_exit 0 "run B (same seed)" $train $args --out "$d/b"

strip() { sed 's/,"time_s":[^,}]*//' "$1"; }
strip "$d/a/log.jsonl" >"$d/la"
strip "$d/b/log.jsonl" >"$d/lb"
check "log.jsonl byte-identical" sh -c "test -s '$d/la' && cmp -s '$d/la' '$d/lb'"
check "log has arl.a.<m>, arl.gamma_e 4 after e_s, arl.clip.fired" \
    sh -c "grep -q '\"arl.a.audio\"' '$d/la' && grep -q '\"arl.gamma_e\":4' '$d/la' &&
           grep -q '\"arl.clip.fired\"' '$d/la'"
check_exit 2 "model.uni=split is refused (arl needs the zero provider)" \
    $train $args --out "$d/s" --set model.uni=split
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
done_testing
