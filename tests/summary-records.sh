#!/bin/sh
# SPDX-License-Identifier: MIT
# summary-records.sh - summary.json names its three records (methods.md
# 1.7; libcommon/RUNDIR.md; issue 16 item 5): best_val (the epoch of the
# highest val.acc, only with a validation split), best_test (the highest
# test.acc: the sources' best-over-epochs protocol) and last; "best" keeps
# its meaning (on val when there is one, else on test).  Each is checked
# against the epoch records of log.jsonl (ties: earliest epoch), and an
# interrupted + resumed run reports the same records.
. "$top_srcdir/tests/lib.sh"
train=$(bin asgml-train)
mkstore="$top_builddir/tests/probe-mkstore"
d=$(tmpdir) || exit 1
trap 'rm -rf "$d"' EXIT
plan 11

"$mkstore" "$d/tiny.h5" 96 >/dev/null 2>&1
check "tiny store written" test -s "$d/tiny.h5"
# miles has a validation hold-out; seed 6 puts the best val, best test and
# last epochs on three different epochs (1, 2, 3)
args="--store $d/tiny.h5 --batch-size 16 --threads 1 --quiet --epochs 4 --seed 6
      --set model.width=4 --set optim.lr=0.1"
check_exit 0 "miles, 4 epochs" $train $args --method miles --out "$d/m"

# argmax of KEY over the epoch records (earliest on ties)
argmax() {
    grep '"type":"epoch"' "$1/log.jsonl" | awk -v k="\"$2\":" '
        { i = index($0, k); if (!i) next; v = substr($0, i + length(k)) + 0
          e = $0; sub(/.*"epoch":/, "", e); e += 0
          if (!seen || v > best) { best = v; be = e; seen = 1 } }
        END { if (seen) print be }'
}
# "epoch" and "selected_on" of record NAME in summary.json (indented JSON)
rec() {
    awk -v name="\"$2\": {" '
        index($0, name) { on = 1; next }
        on && /^  }/ { exit }
        on && /"epoch":/ { v = $0; sub(/.*"epoch": */, "", v); sub(/,.*/, "", v); ep = v }
        on && /"selected_on":/ { v = $0; sub(/.*"selected_on": *"/, "", v); sub(/".*/, "", v); so = v }
        END { if (ep != "") print ep, so }' "$1/summary.json"
}
bv=$(argmax "$d/m" val.acc); bt=$(argmax "$d/m" test.acc)
echo "# log: best val epoch $bv, best test epoch $bt; summary best_val '$(rec "$d/m" best_val)', best_test '$(rec "$d/m" best_test)'"
check "the run's best-val and best-test epochs differ (a test that can tell them apart)" \
    test -n "$bv" -a -n "$bt" -a "$bv" != "$bt"
check "best_val: epoch $bv, selected on val" test "$(rec "$d/m" best_val)" = "$bv val"
check "best_test: epoch $bt, selected on test" test "$(rec "$d/m" best_test)" = "$bt test"
check "best stays the val-selected record" test "$(rec "$d/m" best)" = "$bv val"
check "last: epoch 3" sh -c "awk '/\"last\": \\{/ { on = 1 } on && /\"epoch\":/ { print; exit }' '$d/m/summary.json' | grep -q '\"epoch\": 3,'"

# without a validation split: no best_val, best_test == best
check_exit 0 "baseline, 4 epochs (no validation split)" $train $args --method baseline --out "$d/b"
baseline_ok() {
    ! grep -q '"best_val"' "$d/b/summary.json" &&
    test "$(rec "$d/b" best_test)" = "$(argmax "$d/b" test.acc) test" &&
    test "$(rec "$d/b" best)" = "$(argmax "$d/b" test.acc) test"
}
check "baseline: best_test is the highest test.acc, best equals it, no best_val" baseline_ok

# interrupted after epoch 2 and resumed: the same records
$train $args --method miles --out "$d/r" --set train.interrupt-after-epochs=2 >/dev/null 2>&1
check_exit 0 "the interrupted miles run resumes" $train --resume --out "$d/r" --quiet --threads 1
check "resumed: best, best_val, best_test and last as uninterrupted" \
    sh -c "test \"\$(sed -n '/\"last\": {/,/\"val_holdout\"/p' '$d/m/summary.json')\" = \
                \"\$(sed -n '/\"last\": {/,/\"val_holdout\"/p' '$d/r/summary.json')\" &&
           grep -q '\"best_test\"' '$d/r/summary.json'"
done_testing
