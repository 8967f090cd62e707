#!/bin/sh
# SPDX-License-Identifier: MIT
# nonfinite-data.sh - issue 13, item 5: a NaN or Inf in any split's stored
# features is refused when the loader reads the sample, by asgml-train,
# asgml-probe and asgml-eval alike: exit 1 and one line naming the store,
# the sample's id, the split part, the dataset and the element index.
# Before: a NaN in a test sample gave exit 0 and finite metrics (only the
# training samples met the gradient check).  The stores come from
# tests/probe-mkstore's I:K:V argument (one element of one sample set).
. "$top_srcdir/tests/lib.sh"
train=$(bin asgml-train)
probe=$(bin asgml-probe)
evl=$(bin asgml-eval)
mkstore="$top_builddir/tests/probe-mkstore"
t=$(tmpdir) || exit 1
trap 'rm -rf "$t"' EXIT
plan 12
# 64 samples: train = s00000..s00047, test = s00048..s00063
"$mkstore" "$t/ok.h5" 64 && "$mkstore" "$t/nan.h5" 64 2 50:5:nan &&
    "$mkstore" "$t/inf.h5" 64 2 3:7:-inf ||
    { echo "Bail out! probe-mkstore failed"; exit 1; }
tiny="-j 1 -q -b 16 --set model.width=4 --set model.blocks=1,1,1,1 --set train.keep-checkpoints=0"
"$train" -s "$t/ok.h5" -o "$t/run" -e 1 $tiny >"$t/log" 2>&1 ||
    { echo "Bail out! asgml-train on the clean store failed: $(head -c 300 "$t/log")"; exit 1; }

# one_line RC FILE PATTERN: exit status and exactly one stderr line matching PATTERN
one_line() {
    test "$1" -eq 1 && test "$(wc -l <"$2")" -eq 1 && grep -q "$3" "$2"
}
"$train" -s "$t/nan.h5" -o "$t/r1" -e 1 $tiny 2>"$t/err"; rc=$?
check "asgml-train, NaN in a test sample: exit 1 (got $rc)" test $rc -eq 1
check "... one line naming store, id, split, dataset, index: $(head -c 300 "$t/err")" \
    one_line $rc "$t/err" "^asgml-train: $t/nan.h5: sample 's00050' (test split): /audio/spec has NaN at index 5\$"
"$train" -s "$t/inf.h5" -o "$t/r2" -e 1 $tiny 2>"$t/err"; rc=$?
check "asgml-train, -Inf in a training sample: one line, exit 1: $(head -c 300 "$t/err")" \
    one_line $rc "$t/err" "^asgml-train: $t/inf.h5: sample 's00003' (train split): /audio/spec has -Inf at index 7\$"
"$train" -s "$t/inf.h5" -o "$t/r3" -e 1 $tiny --set data.val-fraction=0.5 --set data.val-seed=0 \
    2>"$t/err"; rc=$?
check "asgml-train with a validation hold-out: exit 1, the sample named (got $rc)" \
    sh -c "test $rc -eq 1 && grep -q \"sample 's00003' (\\(train\\|val\\) split): /audio/spec has -Inf at index 7\" '$t/err'"
check "summary.json of the refused run: status failed, the same error" \
    sh -c "grep -q '\"status\": \"failed\"' '$t/r1/summary.json' &&
           grep -q \"sample 's00050' (test split)\" '$t/r1/summary.json'"

"$probe" -s "$t/nan.h5" -j 1 "$t/run" >"$t/out" 2>"$t/err"; rc=$?
check "asgml-probe, NaN in a test sample: exit 1 (got $rc)" test $rc -eq 1
check "... names the store, id, split and index: $(head -c 300 "$t/err")" \
    grep -q "^asgml-probe: .*$t/nan.h5: sample 's00050' (test split): /audio/spec has NaN at index 5\$" "$t/err"
"$probe" -s "$t/inf.h5" -j 1 "$t/run" >"$t/out" 2>"$t/err"; rc=$?
check "asgml-probe, -Inf in a training sample: exit 1 naming it (got $rc)" \
    sh -c "test $rc -eq 1 && grep -q \"sample 's00003' (train split): /audio/spec has -Inf at index 7\" '$t/err'"

"$evl" -s "$t/nan.h5" -P "$t/p.tsv" "$t/run" >"$t/out" 2>"$t/err"; rc=$?
check "asgml-eval, NaN in a test sample: exit 1 (got $rc)" test $rc -eq 1
check "... names the store, id, split and index: $(head -c 300 "$t/err")" \
    grep -q "^asgml-eval: $t/nan.h5: sample 's00050' (test split): /audio/spec has NaN at index 5\$" "$t/err"
check "... and writes no predictions file" test ! -e "$t/p.tsv"
"$evl" -s "$t/ok.h5" -P "$t/p.tsv" "$t/run" >"$t/out" 2>"$t/err"; rc=$?
check "the clean store evaluates (exit $rc)" test $rc -eq 0 -a -s "$t/p.tsv"
done_testing
