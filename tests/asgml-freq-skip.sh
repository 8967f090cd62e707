#!/bin/sh
# SPDX-License-Identifier: MIT
# asgml-freq-skip.sh - what a skipped step does to the skipped encoder and
# its unimodal head (asgml-methods(7), ASGML-FREQ; issue 16 item 5):
#   freeze: the loop still computes the encoder's gradient, so g_m
#     (grad_norm.<m>) is its norm of the whole loss, as the reference code's
#     compute_gradient_norms (VuVoCodes/AsynchronousFunction scripts/train.py)
#     gives every encoder every step, and gbar_m is the EMA of those values
#     (an H1 freeze logged g_m = 0 and pulled G_m down); the encoder, its
#     momentum and its head are not touched.
#   zero: a head whose CE(u_m) has weight 0 has no gradient and is not
#     stepped (methods.md 1.5: no momentum, no weight decay).
#   asgml.grad-signal unimodal: a skipped step has no unimodal gradient;
#     gbar_m is held, not averaged with 0.
. "$top_srcdir/tests/lib.sh"
command -v h5dump >/dev/null 2>&1 || skip_all "h5dump not installed"
train=$(bin asgml-train)
mkstore="$top_builddir/tests/probe-mkstore"
d=$(tmpdir) || exit 1
trap 'rm -rf "$d"' EXIT
plan 12

"$mkstore" "$d/tiny.h5" 96 >/dev/null 2>&1
check "tiny store written" test -s "$d/tiny.h5"
base="--store $d/tiny.h5 --method asgml-freq --batch-size 16 --threads 1 --quiet
      --set model.width=4 --set optim.lr=0.01 --set asgml.eval-freq=2
      --set asgml-freq.adapt=fixed"
# one dataset's values, without the line naming the file
ds() { h5dump -d "$2" "$1" 2>/dev/null | sed 1d; }
same() { test -n "$(ds "$1" "$3")" && test "$(ds "$1" "$3")" = "$(ds "$2" "$3")"; }
# the value of a number key in a step record line
val() { printf '%s\n' "$1" | sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p"; }

# ---- freeze, audio every second step ----
check_exit 0 "freeze, fixed ratio 2" $train $base --epochs 1 --set asgml-freq.fixed-ratio=2 \
    --out "$d/f"
bad=0; nskip=0
grep '"type":"step"' "$d/f/log.jsonl" >"$d/f.steps"
while IFS= read -r l; do
    [ "$(val "$l" updated.audio)" = 0 ] || continue
    nskip=$((nskip + 1))
    awk -v g="$(val "$l" grad_norm.audio)" -v p="$(val "$l" grad_norm_post.audio)" \
        'BEGIN { exit !(g > 0 && p == 0) }' || bad=$((bad + 1))
done <"$d/f.steps"
check "freeze: on the $nskip skipped steps g_audio > 0 (computed) and nothing applied (wrong: $bad)" \
    test "$nskip" -ge 2 -a "$bad" -eq 0
# gbar_t = 0.1 g_t + 0.9 gbar_{t-1} over every step, skipped ones included
sed -n 's/.*"grad_norm.audio":\([^,}]*\).*"asgml.gbar.audio":\([^,}]*\).*/\1 \2/p' \
    "$d/f.steps" >"$d/f.gbar"
check "freeze: asgml.gbar.audio is the EMA of grad_norm.audio over all steps" \
    awk 'BEGIN { e = 0; n = 0 } { e = 0.1 * $1 + 0.9 * e; n++
         if ((e - $2) ^ 2 > 1e-18 * e * e) bad = 1 } END { exit bad || n < 4 }' "$d/f.gbar"

# ---- freeze and zero, audio updating only at t = 0 (ratio 1000): every
# step of epoch 1 skips it; compare the checkpoints after epochs 0 and 1 ----
for mode in freeze zero; do
    check_exit 0 "$mode, fixed ratio 1000, 2 epochs" $train $base --epochs 2 \
        --set asgml-freq.fixed-ratio=1000 --set asgml-freq.skip-mode=$mode \
        --set train.keep-checkpoints=2 --out "$d/$mode"
done
c0=ckpt/epoch-0000.h5; c1=ckpt/epoch-0001.h5
check "freeze: the audio encoder is untouched through epoch 1" \
    same "$d/freeze/$c0" "$d/freeze/$c1" /params/audio_net.conv1.weight
check "... and its unimodal head" same "$d/freeze/$c0" "$d/freeze/$c1" /params/head_audio.weight
z0="$d/zero/$c0"; z1="$d/zero/$c1"
good=1
for k in /params/head_audio.weight /params/head_audio.bias /optim/state0/head_audio.weight \
         /optim/state0/head_audio.bias; do
    same "$z0" "$z1" "$k" || good=0
done
check "zero: the audio head (weights, bias, momentum) is not stepped without a gradient" \
    test $good -eq 1
differ() { test -n "$(ds "$1" "$3")" && test "$(ds "$1" "$3")" != "$(ds "$2" "$3")"; }
check "zero: ... while the visual head trains" differ "$z0" "$z1" /params/head_visual.weight

# ---- grad-signal unimodal: skipped steps leave gbar held ----
check_exit 0 "freeze, grad-signal unimodal" $train $base --epochs 1 \
    --set asgml-freq.fixed-ratio=2 --set asgml.grad-signal=unimodal --out "$d/u"
grep '"type":"step"' "$d/u/log.jsonl" | awk '
    { up = match($0, /"updated.audio":0/) ? 0 : 1
      g = $0; sub(/.*"asgml.gbar.audio":/, "", g); sub(/[,}].*/, "", g)
      if (!up) { skipped++; if (g != prev || index($0, "asgml.g_uni.audio")) bad = 1 }
      prev = g }
    END { exit bad || skipped < 2 }'
check "unimodal signal: gbar_audio held and no g_uni logged on skipped steps" test $? -eq 0
done_testing
