#!/bin/sh
# SPDX-License-Identifier: MIT
# miles-determinism.sh - a miles run (tau 0, so the encoder lrs change
# between epochs) is reproducible: two runs with the same seed give
# byte-identical log.jsonl (wall-clock "time_s" stripped) and identical
# checkpoints; a run stopped after epoch 1 and continued with --resume ends
# with the same log and checkpoint (incl. the method state miles.mult and
# the loop's per-group lr multipliers).  The log carries the decision, the
# next epoch's encoder lr is the multiplier times the scheduled lr, and bad
# values of every miles key are configuration errors (exit 2).
. "$top_srcdir/tests/lib.sh"
command -v h5diff >/dev/null 2>&1 || skip_all "h5diff not installed"
train=$(bin asgml-train)
mkstore="$top_builddir/tests/probe-mkstore"
d=$(tmpdir) || exit 1
trap 'rm -rf "$d"' EXIT
plan 17

"$mkstore" "$d/tiny.h5" 96 >/dev/null 2>&1
check "tiny store written" test -s "$d/tiny.h5"
args="--store $d/tiny.h5 --method miles --epochs 4 --batch-size 16 --threads 2 --quiet
      --set model.width=4 --set optim.lr=0.01 --set miles.tau=0 --set sched.name=cosine"
check_exit 0 "run A" $train $args --out "$d/a"
check_exit 0 "run B (same seed)" $train $args --out "$d/b"

strip() { sed 's/,"time_s":[^,}]*//' "$1"; }
strip "$d/a/log.jsonl" >"$d/la"
strip "$d/b/log.jsonl" >"$d/lb"
check "log.jsonl byte-identical" sh -c "test -s '$d/la' && cmp -s '$d/la' '$d/lb'"
check "epoch records carry miles.M.<m>, miles.u.<m>, miles.delta, miles.branch, miles.mult.<m>" \
    sh -c "grep '\"type\":\"epoch\"' '$d/la' | grep '\"miles.M.audio\"' | grep '\"miles.u.visual\"' |
           grep '\"miles.delta\"' | grep '\"miles.branch\"' | grep -q '\"miles.mult.audio\"'"
# every epoch e >= 1: lr.<m> = lr * miles.mult.<m> of epoch e - 1; fusion and
# heads at lr; at least one encoder reduced somewhere in the run
cat >"$d/lr.awk" <<'AWK'
BEGIN { mod[1] = "audio"; mod[2] = "visual" }
function num(k,   r) { if (match($0, "\"" k "\":[^,}]*")) { r = substr($0, RSTART + length(k) + 3, RLENGTH - length(k) - 3); return r + 0 } return "none" }
/"type":"epoch"/ {
    if (e > 0) {
        for (m = 1; m <= 2; m++) {
            want = num("lr") * prev[m]
            got = num("lr." mod[m])
            if (got == "none" || (got - want > 1e-12 * want) || (want - got > 1e-12 * want)) bad = 1
            if (prev[m] != 1) reduced = 1
        }
        if (num("lr.fusion") != num("lr") || num("lr.heads") != num("lr")) bad = 1
    }
    prev[1] = num("miles.mult." mod[1]); prev[2] = num("miles.mult." mod[2])
    if (prev[1] == "none" || prev[2] == "none") bad = 1
    e++
}
END { if (e < 4 || bad || !reduced) exit 1 }
AWK
check "lr.<m> of each epoch = scheduled lr x the previous decision; an encoder was reduced" \
    awk -f "$d/lr.awk" "$d/la"
check "awk check can fail (all multipliers claimed 1)" \
    sh -c "! sed 's/\"miles.mult.audio\":0.5/\"miles.mult.audio\":1/g; s/\"miles.mult.visual\":0.5/\"miles.mult.visual\":1/g' '$d/la' |
           awk -f '$d/lr.awk'"
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

check_exit 0 "miles.split=test runs" $train $args --out "$d/t" --set miles.split=test --epochs 2
check_exit 2 "miles.tau=-0.1 is a configuration error" $train $args --out "$d/e1" --set miles.tau=-0.1
check_exit 2 "miles.mu=0 is a configuration error" $train $args --out "$d/e2" --set miles.mu=0
check_exit 2 "miles.split=train is a configuration error" $train $args --out "$d/e3" --set miles.split=train
check_exit 2 "model.uni=split is refused (miles needs heads)" $train $args --out "$d/e4" --set model.uni=split
done_testing
