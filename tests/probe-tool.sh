#!/bin/sh
# SPDX-License-Identifier: MIT
# probe-tool.sh - asgml-probe on a tiny synthetic store (tests/probe-mkstore:
# audio strong, visual weak, 4 balanced classes) and real checkpoints of a
# 2-epoch toy run: usage errors, broken inputs, the TSV/JSON rows, probe
# accuracies that follow the data (audio > visual), the fused accuracy equal
# to the training loop's own evaluation, Shapley values that satisfy the
# closed form for two players, reproducibility, the --features export.
. "$top_srcdir/tests/lib.sh"
probe=$(bin asgml-probe)
train=$(bin asgml-train)
mkstore="$top_builddir/tests/probe-mkstore"
t=$(tmpdir) || exit 1
trap 'rm -rf "$t"' EXIT
plan 34

"$mkstore" "$t/toy.h5" 160 || { echo "Bail out! probe-mkstore failed"; exit 1; }
"$mkstore" "$t/other.h5" 80 || { echo "Bail out! probe-mkstore failed"; exit 1; }
tiny="-j 1 -q -b 16 --set model.width=4 --set model.blocks=1,1,1,1 --set train.keep-checkpoints=0"
"$train" -s "$t/toy.h5" -o "$t/run" -e 2 --seed 3 $tiny >"$t/train.log" 2>&1 ||
    { echo "Bail out! asgml-train failed: $(head -c 300 "$t/train.log")"; exit 1; }
"$train" -s "$t/toy.h5" -o "$t/uni" -e 1 --seed 3 -m unimodal --set unimodal.modality=visual \
    $tiny >"$t/train.log" 2>&1 ||
    { echo "Bail out! asgml-train (unimodal) failed: $(head -c 300 "$t/train.log")"; exit 1; }
ck0="$t/run/ckpt/epoch-0000.h5"
ck1="$t/run/ckpt/epoch-0001.h5"

# ---- usage and input errors
check_exit 2 "no --store is a usage error" "$probe" "$t/run"
check_exit 2 "no operand is a usage error" "$probe" -s "$t/toy.h5"
check_exit 2 "--probe nope" "$probe" -s "$t/toy.h5" --probe nope "$t/run"
check_exit 2 "--format xml" "$probe" -s "$t/toy.h5" -f xml "$t/run"
check_exit 2 "--shapley-max 9" "$probe" -s "$t/toy.h5" --shapley-max 9 "$t/run"
check_exit 2 "--steps -1" "$probe" -s "$t/toy.h5" --steps -1 "$t/run"
"$probe" -s "$t/toy.h5" -j 1 "$t/missing.h5" >"$t/out" 2>"$t/err"; st=$?
check "missing checkpoint: exit 1, named on stderr" \
    sh -c "test $st -eq 1 && grep -q '^asgml-probe: .*missing.h5' '$t/err'"
"$probe" -s "$t/toy.h5" -j 1 "$t/toy.h5" >"$t/out" 2>"$t/err"; st=$?
check "a store given as checkpoint: exit 1, 'not an asgml checkpoint'" \
    sh -c "test $st -eq 1 && grep -q 'not an asgml checkpoint' '$t/err'"
mkdir "$t/empty"
check_exit 1 "a directory without ckpt/ is an error" "$probe" -s "$t/toy.h5" "$t/empty"
check_exit 1 "a missing store is an error" "$probe" -s "$t/nostore.h5" "$t/run"
check_exit 2 "a split scheme the store lacks is a configuration error" \
    "$probe" -s "$t/toy.h5" -j 1 --scheme nope "$ck1"

# ---- TSV rows on the run directory (both checkpoints, in order)
"$probe" -s "$t/toy.h5" -j 1 "$t/run" >"$t/tsv" 2>"$t/err"; st=$?
check "run directory probed (exit $st)" test $st -eq 0
check "header + 2 checkpoints x 2 modalities" test "$(wc -l <"$t/tsv")" -eq 5
check "14 tab-separated fields in every line" \
    sh -c "awk -F'\t' 'NF != 14 { bad = 1 } END { exit bad }' '$t/tsv'"
check "header names the columns" \
    sh -c "head -1 '$t/tsv' | grep -q '^checkpoint	epoch	method	modality	probe	n_train	n_test	probe_train_acc	probe_test_acc	probe_test_f1	fused_acc	fused_f1	removed_acc	shapley$'"
check "checkpoints in epoch order, modalities audio then visual" \
    sh -c "awk -F'\t' 'NR > 1 { printf \"%s:%s \", \$2, \$4 }' '$t/tsv' | grep -q '^0:audio 0:visual 1:audio 1:visual $'"
check "split sizes 120 / 40" sh -c "awk -F'\t' 'NR > 1 && (\$6 != 120 || \$7 != 40) { bad = 1 } END { exit bad }' '$t/tsv'"
field() {   # field EPOCH MODALITY COLUMN
    awk -F'\t' -v e="$1" -v m="$2" -v c="$3" 'NR > 1 && $2 == e && $4 == m { print $c }' "$t/tsv"
}
a_acc=$(field 1 audio 9); v_acc=$(field 1 visual 9)
echo "# epoch 1 probe test accuracy: audio $a_acc, visual $v_acc"
check "audio probe learns the strong modality (test acc $a_acc >= 0.85)" \
    awk -v a="$a_acc" 'BEGIN { exit !(a >= 0.85) }'
check "visual probe is weaker than audio ($v_acc < $a_acc)" \
    awk -v a="$a_acc" -v v="$v_acc" 'BEGIN { exit !(v < a && v > 0.25) }'
fused=$(field 1 audio 11)
want=$(sed -n '/"last"/,/}/s/.*"test.acc": *\([0-9.e-]*\).*/\1/p' "$t/run/summary.json" | head -1)
check "fused accuracy $fused = the training loop's last test.acc $want" \
    awk -v a="$fused" -v b="$want" 'BEGIN { d = a - b; exit !(d < 1e-6 && d > -1e-6) }'
# two players, 4 balanced test classes: v(empty) = 1/4 exactly, v(audio)
# = removed_acc(visual), v(visual) = removed_acc(audio)
ra=$(field 1 audio 13); rv=$(field 1 visual 13); pa=$(field 1 audio 14); pv=$(field 1 visual 14)
echo "# removed: audio $ra visual $rv; shapley: audio $pa visual $pv"
check "Shapley(audio) = ((v(a) - v(0)) + (v(av) - v(v))) / 2" \
    awk -v f="$fused" -v ra="$ra" -v rv="$rv" -v p="$pa" \
    'BEGIN { w = ((rv - 0.25) + (f - ra)) / 2; d = p - w; exit !(d < 2e-6 && d > -2e-6) }'
check "efficiency: Shapley sum = fused - v(empty)" \
    awk -v f="$fused" -v a="$pa" -v v="$pv" 'BEGIN { d = a + v - (f - 0.25); exit !(d < 2e-6 && d > -2e-6) }'

# ---- reproducible, JSON lines carry the same numbers
"$probe" -s "$t/toy.h5" -j 1 "$ck0" "$ck1" >"$t/tsv2" 2>/dev/null
check "same numbers on a second run (checkpoints given one by one)" \
    sh -c "cut -f2- '$t/tsv' >'$t/a'; cut -f2- '$t/tsv2' >'$t/b'; cmp -s '$t/a' '$t/b'"
"$probe" -s "$t/toy.h5" -j 1 -f json "$ck1" >"$t/json" 2>/dev/null
check "JSON: one object per modality" \
    sh -c "test \$(grep -c '^{\"checkpoint\":.*\"shapley\":[-0-9.]*}$' '$t/json') -eq 2"
check "JSON: the audio row has the TSV's probe accuracy" \
    grep -q "\"modality\":\"audio\".*\"probe_test_acc\":$a_acc," "$t/json"
"$probe" -s "$t/toy.h5" -j 1 --shapley-max 0 "$ck1" >"$t/nosh" 2>/dev/null
check "--shapley-max 0: shapley NA, removal still measured" \
    sh -c "awk -F'\t' 'NR > 1 && (\$14 != \"NA\" || \$13 == \"NA\") { bad = 1 } END { exit bad }' '$t/nosh'"
"$probe" -s "$t/toy.h5" -j 1 -p mlp --steps 50 "$ck1" >"$t/mlp" 2>/dev/null; st=$?
check "an MLP probe runs (exit $st)" sh -c "test $st -eq 0 && grep -q '	mlp	' '$t/mlp'"

# ---- unimodal run: one encoder, Shapley = v(1) - v(0)
"$probe" -s "$t/toy.h5" -j 1 "$t/uni" >"$t/u" 2>/dev/null; st=$?
check "unimodal run: one visual row, Shapley = fused - 1/4 (exit $st)" \
    sh -c "test $st -eq 0 && test \$(wc -l <'$t/u') -eq 2 && awk -F'\t' 'NR == 2 { d = \$14 - (\$11 - 0.25); exit !(\$4 == \"visual\" && d < 2e-6 && d > -2e-6) }' '$t/u'"

# ---- another store: warned, still probed
"$probe" -s "$t/other.h5" -j 1 "$ck1" >"$t/o" 2>"$t/err"; st=$?
check "a different store is probed with a warning (exit $st)" \
    sh -c "test $st -eq 0 && grep -q 'trained on store' '$t/err' && awk -F'\t' 'NR == 2 { exit !(\$6 == 60 && \$7 == 20) }' '$t/o'"

# ---- features export
"$probe" -s "$t/toy.h5" -j 1 --features "$t/feat.h5" "$t/run" >/dev/null 2>"$t/err"; st=$?
check "--features writes an HDF5 file (exit $st)" \
    sh -c "test $st -eq 0 && od -An -c -N4 '$t/feat.h5' | grep -q 'H   D   F'"
check "no temporary file left beside it" test "$(ls -A "$t" | grep -c '^\.')" -eq 0
if command -v h5ls >/dev/null 2>&1; then
    check "features: /epoch-0001/train/audio is 120 x 32, labels 40" \
        sh -c "h5ls -r '$t/feat.h5' | grep -q '^/epoch-0001/train/audio *Dataset {120, 32}' && h5ls -r '$t/feat.h5' | grep -q '^/epoch-0001/test/labels *Dataset {40}'"
else
    pass "# SKIP h5ls not installed"
fi
check_exit 1 "--features into a missing directory fails" \
    "$probe" -s "$t/toy.h5" -j 1 --features "$t/nodir/f.h5" "$ck1"
if [ -w /dev/full ]; then
    check_exit 1 "stdout to /dev/full fails" sh -c "'$probe' -s '$t/toy.h5' -j 1 '$ck1' >/dev/full"
else
    pass "# SKIP no /dev/full"
fi
done_testing
