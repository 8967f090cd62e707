#!/bin/sh
# SPDX-License-Identifier: MIT
# mla-determinism.sh - an mla run is reproducible: two runs with the same
# seed give byte-identical log.jsonl (wall-clock "time_s" stripped) and
# identical checkpoints (incl. the projection matrix P); a run stopped
# after epoch 1 and continued with --resume ends with the same log and
# checkpoint.  The log carries the sub-step losses, ||P||_F and the fusion
# weights; mla.proj=off changes the run and logs no ||P||_F.  Wrong model
# keys and wrong mla values are configuration errors (exit 2).  For every
# mla.fusion rule asgml-probe rebuilds the same inference fusion: its fused
# test accuracy equals the run's last evaluation, and asgml-report reports
# that accuracy in one group per rule.
. "$top_srcdir/tests/lib.sh"
command -v h5diff >/dev/null 2>&1 || skip_all "h5diff not installed"
train=$(bin asgml-train)
probe=$(bin asgml-probe)
mkstore="$top_builddir/tests/probe-mkstore"
d=$(tmpdir) || exit 1
trap 'rm -rf "$d"' EXIT
plan 22

"$mkstore" "$d/tiny.h5" 96 >/dev/null 2>&1
check "tiny store written" test -s "$d/tiny.h5"
args="--store $d/tiny.h5 --method mla --epochs 3 --batch-size 16 --threads 2 --quiet
      --set model.width=4 --set optim.lr=0.01"
check_exit 0 "run A" $train $args --out "$d/a"
check_exit 0 "run B (same seed)" $train $args --out "$d/b"

strip() { sed 's/,"time_s":[^,}]*//' "$1"; }
strip "$d/a/log.jsonl" >"$d/la"
strip "$d/b/log.jsonl" >"$d/lb"
check "log.jsonl byte-identical" sh -c "test -s '$d/la' && cmp -s '$d/la' '$d/lb'"
check "log has mla.ce.<m>, mla.pnorm.<m>, mla.alpha, mla.lambda.<m>, 2 sub-steps" \
    sh -c "grep -q '\"mla.ce.visual\"' '$d/la' && grep -q '\"mla.pnorm.audio\"' '$d/la' &&
           grep -q '\"mla.alpha\"' '$d/la' && grep -q '\"mla.lambda.visual\"' '$d/la' &&
           grep -q '\"substeps\":2' '$d/la'"
check "config.json: shared head, no fusion layer, dynamic fusion" \
    sh -c "grep -q '\"model.uni\": *\"auto\"' '$d/a/config.json' &&
           grep -q '\"model.fusion\": *\"none\"' '$d/a/config.json' &&
           grep -q '\"mla.fusion\": *\"dynamic\"' '$d/a/config.json'"
same_ckpt() {
    for g in /params /buffers /optim /method; do
        h5diff -q "$1" "$2" "$g" "$g" >/dev/null 2>&1 || return 1
    done
}
check "checkpoints identical (method state holds mla.P)" sh -c \
    "h5dump -n '$d/a/ckpt/last.h5' 2>/dev/null | grep -q 'mla.P' &&
     $(command -v h5diff) -q '$d/a/ckpt/last.h5' '$d/b/ckpt/last.h5' /method /method"
check "checkpoints identical" same_ckpt "$d/a/ckpt/last.h5" "$d/b/ckpt/last.h5"

check_exit 1 "run C stops after epoch 1 (interrupted)" \
    $train $args --out "$d/c" --set train.interrupt-after-epochs=1
check_exit 0 "run C resumes" $train --resume --out "$d/c" --quiet \
    --set train.interrupt-after-epochs=0
strip "$d/c/log.jsonl" >"$d/lc"
check "resumed log equals the uninterrupted log" sh -c "cmp -s '$d/la' '$d/lc'"
check "resumed checkpoint equals the uninterrupted one" \
    same_ckpt "$d/a/ckpt/last.h5" "$d/c/ckpt/last.h5"

check_exit 0 "mla.proj=off trains" $train $args --out "$d/p" --set mla.proj=off
check "mla.proj=off: another run, no ||P||_F in the log" sh -c \
    "! grep -q 'mla.pnorm' '$d/p/log.jsonl' && ! cmp -s '$d/p/ckpt/last.h5' '$d/a/ckpt/last.h5'"
check_exit 2 "model.fusion=concat is refused" $train $args --out "$d/e1" --set model.fusion=concat
check_exit 2 "model.fusion-weights is refused (mla.fusion decides)" \
    $train $args --out "$d/e2" --set model.fusion-weights=mean
check_exit 2 "mla.proj-denom with mla.proj=off is refused (it would do nothing)" \
    $train $args --out "$d/e5" --set mla.proj=off --set mla.proj-denom=code
check_exit 0 "mla.proj-denom=code trains" $train $args --epochs 1 --out "$d/pc" \
    --set mla.proj-denom=code
check_exit 2 "mla.fusion=bogus is refused" $train $args --out "$d/e3" --set mla.fusion=bogus
check_exit 2 "mla.fixed-weights with one value is refused" \
    $train $args --out "$d/e4" --set mla.fusion=fixed --set mla.fixed-weights=1

# asgml-probe's fused accuracy (its own model rebuilt from the checkpoint)
# equals the run's test.acc of the last epoch, for every rule
last_acc() { grep '"type":"epoch"' "$1/log.jsonl" | tail -1 |
             sed 's/.*"test.acc":\([^,]*\),.*/\1/' | awk '{printf "%.6f\n", $1}'; }
probe_acc() { $probe -q -s "$d/tiny.h5" -b 16 -j 2 -f json --steps 2 "$1/ckpt/last.h5" |
              head -1 | sed 's/.*"fused_acc":\([^,]*\),.*/\1/'; }
same=0
for rule in dynamic ref fixed; do
    if [ $rule = dynamic ]; then r="$d/a"; else
        r="$d/f-$rule"
        $train $args --epochs 2 --out "$r" --set mla.fusion=$rule >/dev/null 2>&1
    fi
    a=$(last_acc "$r"); p=$(probe_acc "$r")
    echo "# mla.fusion=$rule: run test.acc $a, asgml-probe fused_acc $p"
    [ -n "$a" ] && [ "$a" = "$p" ] && same=$((same + 1))
done
check "asgml-probe reproduces the run's fused test accuracy for dynamic, ref, fixed" \
    test $same = 3
# asgml-report: one group per rule, each with the run's last test.acc
report=$(bin asgml-report)
$report -f tsv "$d/a" "$d/f-ref" "$d/f-fixed" >"$d/rep" 2>/dev/null
rok=0
for rule in dynamic ref fixed; do
    case $rule in dynamic) r="$d/a" ;; *) r="$d/f-$rule" ;; esac
    got=$(awk -F'\t' -v g="mla fusion=$rule" 'index($1, g) == 1 && $4 == "test.acc" { printf "%.6f\n", $6 }' "$d/rep")
    [ -n "$got" ] && [ "$got" = "$(last_acc "$r")" ] && rok=$((rok + 1))
done
check "asgml-report: a group per mla.fusion rule with the run's test accuracy" test $rok = 3
done_testing
