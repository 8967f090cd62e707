#!/bin/sh
# SPDX-License-Identifier: MIT
# eval-predictions.sh - asgml-eval --predictions and asgml-report --confusion:
# the predictions of a run's last checkpoint reproduce summary.json's test
# accuracy exactly (correct / n), in TSV and HDF5 alike and for any batch
# size; the confusion matrix and per-class table of a hand-made predictions
# file equal the hand-computed values; asgml-train --init from the command
# line (one error line, exit 1 for a file that does not fit the model).
. "$top_srcdir/tests/lib.sh"
train=$(bin asgml-train)
evl=$(bin asgml-eval)
report=$(bin asgml-report)
d=$(tmpdir) || exit 1
trap 'rm -rf "$d"' EXIT
"$top_builddir/tests/probe-mkstore" "$d/tiny.h5" 64 >/dev/null 2>&1 ||
    skip_all "tests/probe-mkstore failed"
plan 14

"$train" --store "$d/tiny.h5" --epochs 3 --batch-size 16 --quiet --set model.width=4 \
    --set backend.threads=2 --out "$d/run" >/dev/null 2>&1
check "a 3-epoch run" test -f "$d/run/ckpt/last.h5"
acc=$(sed -n '/"last"/,/}/s/.*"test.acc": \([0-9.e-]*\).*/\1/p' "$d/run/summary.json")
"$evl" --store "$d/tiny.h5" --predictions "$d/p.tsv" "$d/run" >"$d/eval.out" 2>"$d/err"
check "asgml-eval: exit 0" test $? -eq 0
# checkpoint split n correct accuracy
set -- $(sed -n 2p "$d/eval.out")
total=$3 correct=$4
check "predictions reproduce summary.json's last test.acc $acc exactly ($correct / $total)" \
    awk -v a="$acc" -v c="$correct" -v n="$total" 'BEGIN { exit !(n > 0 && a == c / n) }'
rows=$(awk -F '\t' 'NR > 1 && $3 == $5' "$d/p.tsv" | wc -l)
check "the TSV has n rows and its label == pred rows are the correct ones" \
    test "$(($(wc -l <"$d/p.tsv") - 1))" -eq "$total" -a "$rows" -eq "$correct"
check "TSV columns: sample id label label_name pred pred_name fused.* audio.* visual.*" \
    sh -c "head -1 '$d/p.tsv' | grep -q '^sample	id	label	label_name	pred	pred_name	fused.0	.*	audio.0	.*	visual.3\$'"
"$evl" -s "$d/tiny.h5" -P "$d/p.h5" -b 5 "$d/run/ckpt/last.h5" >"$d/eval5.out" 2>>"$d/err"
check "HDF5 output with batch 5: the same n and correct" \
    test "$(cut -f3,4 "$d/eval5.out")" = "$(cut -f3,4 "$d/eval.out")"
"$report" --confusion "$d/p.tsv" -f tsv >"$d/c-tsv" && "$report" --confusion "$d/p.h5" -f tsv >"$d/c-h5"
check "asgml-report --confusion: the same table from the TSV and the HDF5 file" \
    cmp -s "$d/c-tsv" "$d/c-h5"
check "... whose accuracy line is correct / n" \
    grep -q "^# n = $total, correct = $correct, " "$d/c-tsv"
"$evl" -s "$d/tiny.h5" -P "$d/p.csv" "$d/run" >/dev/null 2>&1
check "asgml-eval: an output name without .tsv/.h5 is a usage error (exit 2)" test $? -eq 2
"$evl" -s "$d/tiny.h5" -P "$d/q.tsv" "$d/nothing" >/dev/null 2>&1
check "asgml-eval: a missing checkpoint: exit 1, no output" test $? -eq 1 -a ! -e "$d/q.tsv"

# hand-made predictions: 4 classes (class 3 never occurs), 7 samples
{
    printf 'sample\tid\tlabel\tlabel_name\tpred\tpred_name\tfused.0\tfused.1\tfused.2\tfused.3\n'
    for r in "0 0 cat 0 cat" "1 0 cat 0 cat" "2 0 cat 1 dog" "3 1 dog 1 dog" "4 1 dog 2 owl" \
             "5 2 owl 2 owl" "6 2 owl 1 dog"; do
        set -- $r
        printf '%s\ts%s\t%s\t%s\t%s\t%s\t0\t0\t0\t0\n' "$1" "$1" "$2" "$3" "$4" "$5"
    done
} >"$d/hand.tsv"
cat >"$d/hand.expected" <<'END'
# n = 7, correct = 4, accuracy = 0.5714, macro-F1 = 0.4250

class	name	support	predicted	correct	recall	precision	f1
0	cat	3	2	2	0.6667	1.0000	0.8000
1	dog	2	3	1	0.5000	0.3333	0.4000
2	owl	2	2	1	0.5000	0.5000	0.5000
3	3	0	0	0	NA	NA	0.0000

# confusion matrix: rows = true class, columns = predicted class

class	name	pred.0	pred.1	pred.2	pred.3
0	cat	2	1	0	0
1	dog	0	1	1	0
2	owl	0	1	1	0
3	3	0	0	0	0
END
"$report" --confusion "$d/hand.tsv" --format tsv >"$d/hand.out" 2>"$d/err"
check "hand-made file: per-class table and confusion matrix as computed by hand" \
    cmp -s "$d/hand.out" "$d/hand.expected"
test -s "$d/hand.out" && ! cmp -s "$d/hand.out" "$d/hand.expected" && diff "$d/hand.expected" "$d/hand.out" | sed 's/^/# /'

# asgml-train --init on the command line
"$train" --store "$d/tiny.h5" --epochs 1 --batch-size 16 --quiet --set model.width=8 \
    --init "$d/run/ckpt/last.h5" --out "$d/wide" >/dev/null 2>"$d/err"
check "--init from a width-4 checkpoint into a width-8 model: exit 1" test $? -eq 1
check "... one line naming file, tensor and both shapes" sh -c "test \$(wc -l <'$d/err') -eq 1 &&
    grep -q '^asgml-train: .*last.h5: audio_net.conv1.weight: shape mismatch: (4, 1, 7, 7) in the file, (8, 1, 7, 7) in the model\$' '$d/err'"
"$train" --store "$d/tiny.h5" --epochs 1 --batch-size 16 --quiet --set model.width=4 \
    --init "$d/run/ckpt/last.h5" --out "$d/init" >/dev/null 2>&1
check "--init from a fitting checkpoint: exit 0, config.json records train.init" \
    grep -q "\"train.init\": \"$d/run/ckpt/last.h5\"" "$d/init/config.json"
done_testing
