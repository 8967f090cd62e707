#!/bin/sh
# SPDX-License-Identifier: MIT
# train-determinism.sh - asgml-train is reproducible: two runs with the same
# seed give byte-identical log.jsonl (wall-clock "time_s" stripped) and
# identical checkpoints (params, BN buffers, optimiser state); a run stopped
# after epoch 1 (train.interrupt-after-epochs) and continued with --resume
# ends with the same log, checkpoint and config.json as the uninterrupted run.
# A different seed gives different weights (the comparison can fail).
. "$top_srcdir/tests/lib.sh"
command -v h5diff >/dev/null 2>&1 || skip_all "h5diff not installed"
train=$(bin asgml-train)
mkstore="$top_builddir/tests/probe-mkstore"
d=$(tmpdir) || exit 1
trap 'rm -rf "$d"' EXIT
plan 17

"$mkstore" "$d/tiny.h5" 96 >/dev/null 2>&1
check "tiny store written" test -s "$d/tiny.h5"
args="--store $d/tiny.h5 --method ogm-ge --epochs 3 --batch-size 16 --threads 2 --quiet
      --set model.width=4 --set optim.lr=0.01"
check_exit 0 "run A" $train $args --out "$d/a"
check_exit 0 "run B (same seed)" $train $args --out "$d/b"

strip() { sed 's/,"time_s":[^,}]*//' "$1"; }
strip "$d/a/log.jsonl" >"$d/la"
strip "$d/b/log.jsonl" >"$d/lb"
check "log.jsonl has 3 epoch records" test "$(grep -c '"type":"epoch"' "$d/la")" -eq 3
check "log.jsonl byte-identical" sh -c "test -s '$d/la' && cmp -s '$d/la' '$d/lb'"
same_ckpt() {
    for g in /params /buffers /optim /method; do
        h5diff -q "$1" "$2" "$g" "$g" >/dev/null 2>&1 || return 1
    done
}
check "checkpoints identical (params, buffers, optimiser, method state)" \
    same_ckpt "$d/a/ckpt/last.h5" "$d/b/ckpt/last.h5"

check_exit 1 "run C stops after epoch 1 (exit 1, interrupted)" \
    $train $args --out "$d/c" --set train.interrupt-after-epochs=1
check "interrupted summary says so" grep -q '"status": "interrupted"' "$d/c/summary.json"
check_exit 0 "run C resumes" $train --resume --out "$d/c" --quiet \
    --set train.interrupt-after-epochs=0
strip "$d/c/log.jsonl" >"$d/lc"
check "resumed log equals the uninterrupted log" sh -c "test -s '$d/la' && cmp -s '$d/la' '$d/lc'"
check "resumed checkpoint equals the uninterrupted one" \
    same_ckpt "$d/a/ckpt/last.h5" "$d/c/ckpt/last.h5"

# with dropout, the resumed run must continue the dropout stream too
dargs="$args --set model.dropout=0.3"
check_exit 0 "run F (dropout 0.3)" $train $dargs --out "$d/f"
check_exit 1 "run G (dropout 0.3) stops after epoch 1" \
    $train $dargs --out "$d/g" --set train.interrupt-after-epochs=1
check_exit 0 "run G resumes" $train --resume --out "$d/g" --quiet --set train.interrupt-after-epochs=0
check "with dropout, the resumed checkpoint equals the uninterrupted one" \
    same_ckpt "$d/f/ckpt/last.h5" "$d/g/ckpt/last.h5"

check_exit 0 "run D (seed 2)" $train $args --seed 2 --out "$d/e"
if ! test -s "$d/e/ckpt/last.h5" ||
   h5diff -q "$d/a/ckpt/last.h5" "$d/e/ckpt/last.h5" /params /params >/dev/null 2>&1; then
    fail "another seed gives other weights"
else
    pass "another seed gives other weights"
fi
done_testing
