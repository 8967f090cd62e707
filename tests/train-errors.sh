#!/bin/sh
# SPDX-License-Identifier: MIT
# train-errors.sh - asgml-train's failures: one clear line on stderr and the
# documented exit status (1 bad input / numerical stop, 2 usage or
# configuration error); a huge learning rate stops on a non-finite loss or
# gradient naming the step, and summary.json says "failed".
. "$top_srcdir/tests/lib.sh"
train=$(bin asgml-train)
mkstore="$top_builddir/tests/probe-mkstore"
d=$(tmpdir) || exit 1
trap 'rm -rf "$d"' EXIT
plan 30
"$mkstore" "$d/tiny.h5" 64 >/dev/null 2>&1
base="--store $d/tiny.h5 --epochs 1 --batch-size 16 --quiet --set model.width=4"

# run CMD...: exit status in $rc, stderr in $d/err
run() { "$@" >"$d/out" 2>"$d/err"; rc=$?; }
one_line() { test "$(wc -l <"$d/err")" -eq 1 && grep -q "^asgml-train: $1" "$d/err"; }

run $train --store "$d/missing.h5" --out "$d/r1"
check "missing store: exit 1" test $rc -eq 1
check "missing store: one line naming the file" one_line ".*missing.h5"

run $train $base --set optim.lrr=0.1 --out "$d/r2"
check "mistyped key: exit 2" test $rc -eq 2
check "mistyped key: names the key and a suggestion" one_line ".*unknown configuration key 'optim.lrr' (did you mean 'optim.lr'?)"
check "mistyped key: no run directory files" test ! -e "$d/r2/log.jsonl"

run $train $base --set optim.lr=fast --out "$d/r3"
check "bad value: exit 2" test $rc -eq 2
check "bad value: one line" one_line "--set: key 'optim.lr': 'fast' is not a number"

run $train $base --method no-such-method --out "$d/r4"
check "unknown method: exit 2" test $rc -eq 2
check "unknown method: one line" one_line "unknown method 'no-such-method'"

run $train $base --method baseline+ --out "$d/r4b"
check "method with an empty part (baseline+): exit 2" test $rc -eq 2
check "method with an empty part: one line" one_line "method: 'baseline+' has an empty part"

run $train $base --epochs zero --out "$d/r5"
check "bad --epochs: usage error exit 2" test $rc -eq 2
run $train $base
check "no --out: usage error exit 2" test $rc -eq 2 && grep -q "Try 'asgml-train --help'" "$d/err"

run $train --resume --out "$d/nothing"
check "resume without a run: exit 1" test $rc -eq 1

run $train $base --set optim.lr=1e30 --out "$d/nan"
check "huge lr: exit 1" test $rc -eq 1
check "huge lr: names the step and the non-finite quantity" \
    one_line "step [0-9]* (epoch 0, batch [0-9]*): \(the loss is\|gradient of '\)"
check "huge lr: summary.json says failed" grep -q '"status": "failed"' "$d/nan/summary.json"

run $train $base --out "$d/ok"
check "a good run exits 0" test $rc -eq 0
run $train $base --out "$d/ok"
check "a second run into the same directory: exit 2" test $rc -eq 2 && one_line ".*already holds a run"
check "--list-methods lists baseline" sh -c "'$train' --list-methods | grep -q '^baseline '"
# keys of methods this run does not use are not typos (one YAML per study)
run $train $base --method baseline --set asgml.eval-freq=2 --set asgml-boost.alpha=0.7 --out "$d/r7"
check "other methods' keys are ignored: exit 0" test $rc -eq 0
check "other methods' keys stay out of config.json" sh -c "! grep -q '\"asgml[.-]' '$d/r7/config.json'"
run $train $base --method baseline --set asgml.eval-frq=2 --out "$d/r8"
check "a typo inside another method's namespace is ignored too (exit 0)" test $rc -eq 0
# a tau cadence longer than the epoch (a few batches of 16) would
# make asgml-freq silently plain training: an error
run $train $base --method asgml-freq --out "$d/r9"
check "asgml.eval-freq > batches per epoch: exit 2" test $rc -eq 2
check "asgml.eval-freq > batches per epoch: says so" grep -q "exceeds the [0-9]* batches of an epoch" "$d/err"
# issue 13, item 8: data.drop-last with a training split (48) smaller than a
# batch gave one batch anyway (the flag did nothing); PyTorch's
# DataLoader(drop_last=True) gives none, and an epoch without batches is an error
run $train --store "$d/tiny.h5" --epochs 1 --batch-size 64 --quiet --set model.width=4 \
    --set data.drop-last=true --out "$d/r10"
check "drop-last with a split smaller than a batch: exit 2 (got $rc)" test $rc -eq 2
check "... one line naming the split size and the batch: $(head -c 200 "$d/err")" \
    one_line ".*tiny.h5: the train split has 48 samples, fewer than one batch of 64: data.drop-last would leave no batch"
run $train $base --set data.drop-last=true --set train.keep-checkpoints=0 --out "$d/r11"
check "drop-last with 48 = 3 x 16: trains 3 steps (exit $rc)" \
    sh -c "test $rc -eq 0 && grep -q '\"steps\": 3' '$d/r11/summary.json'"
run $train --store "$d/tiny.h5" --epochs 1 --batch-size 20 --quiet --set model.width=4 \
    --set data.drop-last=true --set train.keep-checkpoints=0 --out "$d/r12"
check "drop-last with 48 = 2 x 20 + 8: 2 steps (exit $rc)" \
    sh -c "test $rc -eq 0 && grep -q '\"steps\": 2' '$d/r12/summary.json'"
# issue 13, item 8: a key given twice in the YAML file (was: the last one won)
printf 'optim:\n  lr: 0.1\nmodel:\n  width: 4\noptim:\n  momentum: 0.5\n' >"$d/dup.yaml"
run $train $base --config "$d/dup.yaml" --out "$d/r13"
check "duplicate YAML key: exit 2, file:line and the first line: $(head -c 200 "$d/err")" \
    sh -c "test $rc -eq 2 && grep -q \"^asgml-train: $d/dup.yaml:5: key 'optim' given twice (first on line 1)\" '$d/err'"
done_testing
