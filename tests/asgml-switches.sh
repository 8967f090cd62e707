#!/bin/sh
# SPDX-License-Identifier: MIT
# asgml-switches.sh - the ablation switches of issue 18 (asgml-methods(7)):
# each one's default gives a run byte-identical to not setting it, the
# switched run logs its signal and differs in what it should (and its step
# records carry the same keys otherwise), and a wrong value is a
# configuration error (exit 2).
#   model.feature-norm none|l2|layernorm   (ASGML v1 5.3 mitigation 4)
#   asgml.grad-signal total|unimodal       (ASGML v1 3.3, G from CE(u_m))
#   asgml-boost.split-batch, asgml.split-batch on|off (v2 section 8)
#   ogm-ge.variant=asgml-ref picks the heads provider itself (model.uni auto)
#   asgml-boost.probe-ema-eval off|on      (methods.md 5.1 [AF] replay)
#   data.<m>.frame-policy random           (methods.md 1.x --frames-random)
. "$top_srcdir/tests/lib.sh"
command -v h5ls >/dev/null 2>&1 || skip_all "h5ls not installed"
train=$(bin asgml-train)
mkstore="$top_builddir/tests/probe-mkstore"
d=$(tmpdir) || exit 1
trap 'rm -rf "$d"' EXIT
plan 47

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

# ---- asgml.grad-signal ----
check_exit 0 "asgml.grad-signal=total" $train $stale --set asgml.grad-signal=total --out "$d/gt"
strip "$d/gt/log.jsonl" >"$d/gt.log"
check "grad-signal total: log byte-identical to the default run" cmp -s "$d/s0.log" "$d/gt.log"
check_exit 0 "asgml.grad-signal=unimodal" $train $stale --set asgml.grad-signal=unimodal --out "$d/gu"
strip "$d/gu/log.jsonl" >"$d/gu.log"
check "grad-signal unimodal: every step logs asgml.g_uni.audio and .visual" \
    sh -c "! grep '\"type\":\"step\"' '$d/gu.log' | grep -v 'asgml.g_uni.audio' | grep -qv 'asgml.g_uni.visual'"
drop "$d/gu.log" asgml.g_uni >"$d/gu.k"
keys "$d/gu.k" >"$d/k2"
check "grad-signal unimodal: otherwise the same step keys" cmp -s "$d/k0" "$d/k2"
# the first step trains the same (same loss); the G signal differs
first() { grep '"type":"step"' "$1" | head -1 | sed 's/.*"loss":\([^,]*\),.*/\1/'; }
gs() { grep -o '"asgml.G.audio":[^,}]*' "$1"; }
l0=$(first "$d/s0.log"); l1=$(first "$d/gu.log"); g0=$(gs "$d/s0.log"); g1=$(gs "$d/gu.log")
check "grad-signal unimodal: same first-step loss, different asgml.G" \
    test -n "$l0" -a "$l0" = "$l1" -a -n "$g1" -a "$g0" != "$g1"
freq=$(echo "$stale" | sed 's/asgml-stale/asgml-freq/')
check_exit 0 "asgml-freq with asgml.grad-signal=unimodal" \
    $train $freq --set asgml.grad-signal=unimodal --out "$d/gf"
check_exit 2 "grad-signal unimodal with asgml.gamma=0 is a configuration error" \
    $train $stale --set asgml.grad-signal=unimodal --set asgml.gamma=0 --out "$d/gz"
check_exit 2 "asgml.grad-signal=bogus is a configuration error" \
    $train $stale --set asgml.grad-signal=bogus --out "$d/gb"

# ---- asgml-boost.split-batch / asgml.split-batch ----
boost=$(echo "$stale" | sed 's/asgml-stale/asgml-boost/; s/asgml.eval-freq/asgml-boost.eval-freq/')
check_exit 0 "asgml-boost, defaults" $train $boost --out "$d/b0"
check_exit 0 "asgml-boost.split-batch=on" $train $boost --set asgml-boost.split-batch=on --out "$d/bn"
strip "$d/b0/log.jsonl" >"$d/b0.log"; strip "$d/bn/log.jsonl" >"$d/bn.log"
check "split-batch on: log byte-identical to the default run" cmp -s "$d/b0.log" "$d/bn.log"
check_exit 0 "asgml-boost.split-batch=off" $train $boost --set asgml-boost.split-batch=off --out "$d/bf"
strip "$d/bf/log.jsonl" >"$d/bf.log"
n0=$(grep -c '"boost.acc.audio"' "$d/b0.log"); n1=$(grep -c '"asgml-boost.probe.rows":16' "$d/bf.log")
check "split-batch off: each probe step logs asgml-boost.probe.rows = B" test "$n0" -gt 0 -a "$n0" = "$n1"
drop "$d/bf.log" asgml-boost.probe.rows >"$d/bf.k"
keys "$d/b0.log" >"$d/k3"; keys "$d/bf.k" >"$d/k4"
a0=$(grep -o '"boost.acc.audio":[^,}]*' "$d/b0.log" | head -1); a1=$(grep -o '"boost.acc.audio":[^,}]*' "$d/bf.log" | head -1)
check "split-batch off: same step keys, same first-step loss, other probe accuracy" \
    test -n "$a0" -a "$a0" != "$a1" -a "$(first "$d/b0.log")" = "$(first "$d/bf.log")" -a "$(cat "$d/k3")" = "$(cat "$d/k4")"
check_exit 0 "asgml-freq, signal-source probe, asgml.split-batch=off" \
    $train $freq --set asgml.signal-source=probe --set asgml.split-batch=off --out "$d/pf"
check "asgml.split-batch=off logs asgml.probe.rows" grep -q '"asgml.probe.rows":16' "$d/pf/log.jsonl"

# ---- ogm-ge.variant=asgml-ref: the heads provider without model.uni ----
ogm="--store $d/tiny.h5 --method ogm-ge --epochs 1 --batch-size 16 --threads 2 --quiet
     --set model.width=4 --set optim.lr=0.01"
heads() { h5ls -r "$1/ckpt/last.h5" | grep -q '^/params/head_audio.weight'; }
check_exit 0 "ogm-ge, variant official (default)" $train $ogm --out "$d/o0"
check "official: split provider, no separate heads" sh -c "! h5ls -r '$d/o0/ckpt/last.h5' | grep -q '^/params/head_audio'"
check_exit 0 "ogm-ge.variant=asgml-ref without model.uni" \
    $train $ogm --set ogm-ge.variant=asgml-ref --out "$d/oa"
check "asgml-ref: the heads provider (head_audio in the checkpoint)" heads "$d/oa"
check_exit 0 "ogm-ge.variant=asgml-ref with model.uni=heads" \
    $train $ogm --set ogm-ge.variant=asgml-ref --set model.uni=heads --out "$d/oh"
strip "$d/oa/log.jsonl" >"$d/oa.log"; strip "$d/oh/log.jsonl" >"$d/oh.log"
check "asgml-ref: auto and an explicit model.uni=heads give byte-identical logs" \
    cmp -s "$d/oa.log" "$d/oh.log"
$train $ogm --set ogm-ge.variant=asgml-ref --set model.uni=split --out "$d/os" 2>"$d/os.err"
rc=$?
check "asgml-ref with model.uni=split: exit 2 naming model.uni and the variant" \
    sh -c "test $rc = 2 && grep -q \"model.uni\" '$d/os.err' && grep -q 'asgml-ref' '$d/os.err'"

# ---- asgml-boost.probe-ema-eval ----
check_exit 0 "asgml-boost.probe-ema-eval=off" $train $boost --set asgml-boost.probe-ema-eval=off --out "$d/e0"
strip "$d/e0/log.jsonl" >"$d/e0.log"
check "probe-ema-eval off: log byte-identical to the default run" cmp -s "$d/b0.log" "$d/e0.log"
check_exit 0 "asgml-boost.probe-ema-eval=on" $train $boost --set asgml-boost.probe-ema-eval=on --out "$d/e1"
strip "$d/e1/log.jsonl" >"$d/e1.log"
check "probe-ema-eval on: every epoch record logs boost.test_probe_acc.<m> and boost.ema.<m>" \
    test "$(grep '"type":"epoch"' "$d/e1.log" | grep -c 'boost.test_probe_acc.visual.*boost.ema.visual')" = 2
e0=$(grep '"type":"step"' "$d/b0.log" | grep -o '"boost.ema.audio":[^,}]*' | tail -1)
e1=$(grep '"type":"step"' "$d/e1.log" | grep -o '"boost.ema.audio":[^,}]*' | tail -1)
keys "$d/e1.log" >"$d/k5"
check "probe-ema-eval on: same step keys, epoch 0 steps identical, a later EMA differs" \
    test -n "$e0" -a "$e0" != "$e1" -a "$(cat "$d/k3")" = "$(cat "$d/k5")" \
    -a "$(grep '"epoch":0' "$d/b0.log" | grep '"type":"step"')" = "$(grep '"epoch":0' "$d/e1.log" | grep '"type":"step"')"
check_exit 1 "probe-ema-eval on: stop after epoch 1" \
    $train $boost --set asgml-boost.probe-ema-eval=on --set train.interrupt-after-epochs=1 --out "$d/er"
check_exit 0 "probe-ema-eval on: resume" $train --resume --out "$d/er" --quiet --set train.interrupt-after-epochs=0
strip "$d/er/log.jsonl" >"$d/er.log"
check "probe-ema-eval on: the resumed log equals the uninterrupted one" cmp -s "$d/e1.log" "$d/er.log"

# ---- data.<m>.frame-policy random (--frames-random) ----
fx=$(cd "$top_srcdir/tests/fixtures/dsp" && pwd)
{ printf 'id\tlabel\tsplit:s\ta:audio\tcam:frames\n'
  for i in 0 1 2 3 4 5 6 7 8 9 10 11; do
      l=x; [ $((i % 2)) = 1 ] && l=y
      sp=train; [ $i -ge 8 ] && sp=test
      printf 's%d\t%s\t%s\t%s/au_pcm16.wav\t%s/png_grey8.png;%s/png_1bit.png;%s/png_grey16.png;%s/jpg_grey.jpg\n' \
          $i $l $sp "$fx" "$fx" "$fx" "$fx" "$fx"
  done; } >"$d/fr.tsv"
check_exit 0 "a store with 4-frame clips" $(bin asgml-prep) -q --fit-seconds=0.25 --audio-rate=8000 \
    --n-fft=128 --hop=64 --image-size=16 "$d/fr.tsv" -o "$d/fr.h5"
fr="--store $d/fr.h5 --method baseline --epochs 2 --batch-size 4 --threads 2 --quiet
    --set model.width=2 --set optim.lr=0.01 --set data.cam.size=16"
$train $fr --out "$d/r0"; $train $fr --set data.cam.frame-policy=first --out "$d/r1"
$train $fr --set data.cam.frame-policy=random --out "$d/r2"
$train $fr --set data.cam.frame-policy=random --out "$d/r3"
for x in r0 r1 r2 r3; do strip "$d/$x/log.jsonl" >"$d/$x.log"; done
check "frame-policy first: log byte-identical to the default run" \
    sh -c "test -s '$d/r0.log' && cmp -s '$d/r0.log' '$d/r1.log'"
check "frame-policy random, 1 of 4 frames: another run, the same with the same seed" \
    sh -c "test -s '$d/r2.log' && ! cmp -s '$d/r0.log' '$d/r2.log' && cmp -s '$d/r2.log' '$d/r3.log'"
$train $fr --set model.frames=4 --out "$d/r4"
$train $fr --set model.frames=4 --set data.cam.frame-policy=random --out "$d/r5"
strip "$d/r4/log.jsonl" >"$d/r4.log"; strip "$d/r5/log.jsonl" >"$d/r5.log"
check "frame-policy random, 4 of 4 frames: distinct and sorted = the first 4 (identical log)" \
    sh -c "test -s '$d/r4.log' && cmp -s '$d/r4.log' '$d/r5.log'"
check_exit 2 "data.cam.frame-policy=bogus is a configuration error" \
    $train $fr --set data.cam.frame-policy=bogus --out "$d/rb"
check "asgml-prep wrote the store" test -s "$d/fr.h5"
done_testing
