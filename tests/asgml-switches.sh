#!/bin/sh
# asgml-switches.sh - the ablation switches of issue 18 (asgml-methods(7)):
# each one's default gives a run byte-identical to not setting it, the
# switched run logs its signal and differs in what it should (and its step
# records carry the same keys otherwise), and a wrong value is a
# configuration error (exit 2).
#   model.feature-norm none|l2|layernorm   (ASGML v1 5.3 mitigation 4)
. "$top_srcdir/tests/lib.sh"
train=$(bin asgml-train)
mkstore="$top_builddir/tests/probe-mkstore"
d=$(tmpdir) || exit 1
trap 'rm -rf "$d"' EXIT
plan 9

"$mkstore" "$d/tiny.h5" 96 >/dev/null 2>&1
check "tiny store written" test -s "$d/tiny.h5"
strip() { sed 's/,"time_s":[^,}]*//' "$1"; }
# the key names of the step records, one line per record
keys() { grep '"type":"step"' "$1" | sed 's/:[^,}]*//g'; }
# without the given keys
drop() { sed "s/,\"$2[^\"]*\":[^,}]*//g" "$1"; }

stale="--store $d/tiny.h5 --method asgml-stale --epochs 2 --batch-size 16 --threads 2 --quiet
       --set model.width=4 --set optim.lr=0.01 --set asgml.eval-freq=2"
check_exit 0 "asgml-stale, defaults" $train $stale --out "$d/s0"
strip "$d/s0/log.jsonl" >"$d/s0.log"

# ---- model.feature-norm ----
check_exit 0 "model.feature-norm=none" $train $stale --set model.feature-norm=none --out "$d/fn"
strip "$d/fn/log.jsonl" >"$d/fn.log"
check "feature-norm none: log byte-identical to the default run" cmp -s "$d/s0.log" "$d/fn.log"
check_exit 0 "model.feature-norm=l2" $train $stale --set model.feature-norm=l2 --out "$d/fl"
strip "$d/fl/log.jsonl" >"$d/fl.log"
check "feature-norm l2: every step logs feat_norm_raw.audio and .visual" \
    sh -c "! grep '\"type\":\"step\"' '$d/fl.log' | grep -v 'feat_norm_raw.audio' | grep -qv 'feat_norm_raw.visual'"
drop "$d/fl.log" feat_norm_raw >"$d/fl.k"
keys "$d/s0.log" >"$d/k0"; keys "$d/fl.k" >"$d/k1"
check "feature-norm l2: otherwise the same step keys, different losses" \
    sh -c "cmp -s '$d/k0' '$d/k1' && ! cmp -s '$d/s0.log' '$d/fl.k'"
check_exit 0 "model.feature-norm=layernorm" $train $stale --set model.feature-norm=layernorm --out "$d/fy"
check_exit 2 "model.feature-norm=bogus is a configuration error" \
    $train $stale --set model.feature-norm=bogus --out "$d/fb"
done_testing
