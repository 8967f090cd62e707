#!/bin/sh
# SPDX-License-Identifier: MIT
# gblend-determinism.sh - gblend runs (n = 1 trial epoch, re-estimated every
# 2 epochs, 4 epochs: trials before epochs 0 and 2) are reproducible: two
# runs with the same seed give byte-identical log.jsonl (wall-clock "time_s"
# stripped) and identical checkpoints; runs stopped after epoch 1 (inside a
# blending period: the weights come from the checkpoint) and after epoch 2
# (the next epoch starts with a trial) and continued with --resume end with
# the same log and checkpoint.  The log carries the weights and G, O, OGR;
# the bmm variant runs and is reproducible; wrong keys exit 2.  An interrupt
# during a trial is tests/test-gblend-run.
. "$top_srcdir/tests/lib.sh"
command -v h5diff >/dev/null 2>&1 || skip_all "h5diff not installed"
train=$(bin asgml-train)
mkstore="$top_builddir/tests/probe-mkstore"
d=$(tmpdir) || exit 1
trap 'rm -rf "$d"' EXIT
plan 20

"$mkstore" "$d/tiny.h5" 96 >/dev/null 2>&1
check "tiny store written" test -s "$d/tiny.h5"
args="--store $d/tiny.h5 --method gblend --epochs 4 --batch-size 16 --threads 2 --quiet
      --set model.width=4 --set optim.lr=0.01 --set gblend.epochs=1 --set gblend.every=2"
check_exit 0 "run A" $train $args --out "$d/a"
check_exit 0 "run B (same seed)" $train $args --out "$d/b"

strip() { sed 's/,"time_s":[^,}]*//' "$1"; }
strip "$d/a/log.jsonl" >"$d/la"
strip "$d/b/log.jsonl" >"$d/lb"
check "log.jsonl byte-identical" sh -c "test -s '$d/la' && cmp -s '$d/la' '$d/lb'"
check "epoch records carry w, G, O, OGR and the four losses per head" \
    sh -c "grep '\"type\":\"epoch\"' '$d/la' | grep '\"gblend.estimated\":1' |
           grep '\"gblend.w.fused\"' | grep '\"gblend.OGR.visual\"' | grep '\"gblend.G.audio\"' |
           grep '\"gblend.O.fused\"' | grep -q '\"gblend.LV1.audio\"'"
check "trials before epochs 0 and 2 only" \
    sh -c "test \"\$(grep -c '\"gblend.estimated\":1' '$d/la')\" = 2 &&
           grep '\"gblend.estimated\":1' '$d/la' | grep -q '\"epoch\":2'"
check "step records carry the weights in use" \
    sh -c "grep '\"type\":\"step\"' '$d/la' | grep -q '\"gblend.w.visual\"'"
same_ckpt() {
    for g in /params /buffers /optim /method; do
        h5diff -q "$1" "$2" "$g" "$g" >/dev/null 2>&1 || return 1
    done
}
check "checkpoints identical" same_ckpt "$d/a/ckpt/last.h5" "$d/b/ckpt/last.h5"

for k in 1 2; do
    check_exit 1 "run C$k stops after epoch $((k - 1))" \
        $train $args --out "$d/c$k" --set train.interrupt-after-epochs=$k
    check_exit 0 "run C$k resumes" $train --resume --out "$d/c$k" --quiet \
        --set train.interrupt-after-epochs=0
    strip "$d/c$k/log.jsonl" >"$d/lc$k"
    check "C$k: resumed log equals the uninterrupted log" sh -c "cmp -s '$d/la' '$d/lc$k'"
    check "C$k: resumed checkpoint equals the uninterrupted one" \
        same_ckpt "$d/a/ckpt/last.h5" "$d/c$k/ckpt/last.h5"
done

bargs="--store $d/tiny.h5 --method gblend --epochs 2 --batch-size 16 --threads 2 --quiet
       --set model.width=4 --set optim.lr=0.01 --set gblend.variant=bmm --set gblend.epochs=2"
check_exit 0 "bmm variant" $train $bargs --out "$d/m1"
check_exit 0 "bmm variant again" $train $bargs --out "$d/m2"
strip "$d/m1/log.jsonl" >"$d/lm1"
strip "$d/m2/log.jsonl" >"$d/lm2"
check "bmm: byte-identical logs with weights" \
    sh -c "cmp -s '$d/lm1' '$d/lm2' && grep -q '\"gblend.w.audio\"' '$d/lm1'"
a1=$(echo $args)     # one line each, for sh -c
a2=$(echo $bargs)
check "wrong keys exit 2 naming the key" sh -c "
    for s in gblend.variant=x gblend.epochs=0 gblend.every=-1 gblend.eps=-1 model.uni=split; do
        $train $a1 --out '$d/e.'\$s --set \$s 2>'$d/err'; test \$? = 2 || exit 1
        grep -q \"\${s%%=*}\" '$d/err' || exit 1
    done
    $train $a2 --out '$d/e.bmm' --set gblend.epochs=1 2>'$d/err'; test \$? = 2 &&
    grep -q gblend.epochs '$d/err'"
done_testing
