#!/bin/sh
# SPDX-License-Identifier: MIT
# train-flags.sh - the loader side of datasets.md 10 and 5: data.exclude-flags
# (default: AUDIO_MISSING, AUDIO_DECODE_ERROR, AUDIO_SILENT, VIDEO_MISSING,
# VIDEO_DECODE_ERROR, KNOWN_BAD) leaves flagged samples out of every split
# part asgml-train, asgml-eval and asgml-probe serve, "none" keeps them, a
# bad value is a usage error naming the key; a store made with
# --audio-window trains (the loader cuts the window and takes its STFT), its
# evaluation window is fixed (two evaluations agree) and a resumed run equals
# the uninterrupted one.
. "$top_srcdir/tests/lib.sh"
prep=$(cd "$(dirname "$(bin asgml-prep)")" && pwd)/asgml-prep
train=$(bin asgml-train)
evl=$(bin asgml-eval)
fx=$(cd "$top_srcdir/tests/fixtures/dsp" && pwd)
t=$(tmpdir) || exit 1
trap 'rm -rf "$t"' EXIT
plan 12

printf 'id\tlabel\tsplit\tflags\taudio\tvisual\n' >"$t/m.tsv"
i=0
for row in "au_pcm16.wav png_grey8.png train -" "au_float.wav png_pal4_grey.png train -" \
           "au_pcm24.wav png_1bit.png train KNOWN_BAD" "au_sine8k.wav png_rgb.png train -" \
           "au_stereo44k.flac png_pal8.png train -" "au_pcm16.wav png_la.png test -" \
           "au_sine8k.wav png_grey8.png test KNOWN_BAD" "au_pcm24.wav png_rgb.png test DUP_CONFLICT"; do
    set -- $row
    i=$((i + 1))
    printf 's%d\tc%d\t%s\t%s\t%s\t%s\n' $i $((i % 2)) "$3" "$4" "$fx/$1" "$fx/$2" >>"$t/m.tsv"
done
"$prep" -q --audio-rate 8000 --fit-seconds 1 --audio-window 0.5 --n-fft 256 --hop 128 --image-size 16 \
    "$t/m.tsv" -o "$t/w.h5" 2>"$t/err"
check "windowed store with KNOWN_BAD samples" test -f "$t/w.h5"

args="--store $t/w.h5 --batch-size 2 --threads 1 --quiet --set model.width=4 --set optim.lr=0.01
      --set data.drop-last=true"
check_exit 0 "asgml-train on the windowed store (default exclusion)" $train $args --epochs 2 --out "$t/a"
n() { "$evl" --store "$t/w.h5" --predictions "$t/p.tsv" "$@" | awk 'NR == 2 { print $3 }'; }
check "asgml-eval: test serves 2 of 3 (KNOWN_BAD out, DUP_CONFLICT in)" test "$(n "$t/a")" = 2
check "asgml-eval: train serves 4 of 5" test "$(n --split train "$t/a")" = 4
"$evl" --store "$t/w.h5" --predictions "$t/p1.tsv" "$t/a" >/dev/null
"$evl" --store "$t/w.h5" --predictions "$t/p2.tsv" "$t/a" >/dev/null
check "the evaluation window is fixed: two evaluations agree" cmp -s "$t/p1.tsv" "$t/p2.tsv"
check_exit 2 "--audio-window longer than --fit-seconds is a usage error" \
    "$prep" -q --audio-rate 8000 --fit-seconds 1 --audio-window 2 "$t/m.tsv" -o "$t/x.h5"
check_exit 0 "data.exclude-flags=none" $train $args --epochs 1 --set data.exclude-flags=none --out "$t/b"
check "... serves all 3 test samples" test "$(n "$t/b")" = 3
check_exit 0 "data.exclude-flags=KNOWN_BAD|DUP_CONFLICT" \
    $train $args --epochs 1 --set 'data.exclude-flags=KNOWN_BAD|DUP_CONFLICT' --out "$t/c"
check "... serves 1 test sample" test "$(n "$t/c")" = 1
$train $args --epochs 1 --set data.exclude-flags=KNOWN_BADD --out "$t/d" 2>"$t/err"
check "an unknown flag is a usage error naming the key" \
    sh -c "test $? -eq 2 && grep -q \"key 'data.exclude-flags': 'KNOWN_BADD' is not a status flag name\" '$t/err'"
$train $args --epochs 2 --out "$t/r" --set train.interrupt-after-epochs=1 >/dev/null 2>&1
$train --resume --out "$t/r" --quiet --set train.interrupt-after-epochs=0 >/dev/null 2>&1
strip() { sed 's/,"time_s":[^,}]*//' "$1"; }
check "interrupted and resumed equals uninterrupted (random training windows)" \
    sh -c "strip() { sed 's/,\"time_s\":[^,}]*//' \"\$1\"; }; strip '$t/a/log.jsonl' >'$t/la'; strip '$t/r/log.jsonl' >'$t/lr'; test -s '$t/la' && cmp -s '$t/la' '$t/lr'"
done_testing
