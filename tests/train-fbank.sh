#!/bin/sh
# SPDX-License-Identifier: MIT
# train-fbank.sh - a store made with fbank (unpadded rows + fbank_offset,
# each clip at its own length, --fit none) trains: the loader appends
# pad_value rows up to target_rows and feeds (1, M, T); a run interrupted
# after epoch 1 and resumed equals the uninterrupted run bit for bit (log
# and checkpoint); z-scoring per mel bin with /stats trains; asgml-probe
# reads the checkpoints.
. "$top_srcdir/tests/lib.sh"
prep=$(cd "$(dirname "$(bin asgml-prep)")" && pwd)/asgml-prep
train=$(bin asgml-train)
probe=$(bin asgml-probe)
fx=$(cd "$top_srcdir/tests/fixtures/dsp" && pwd)
t=$(tmpdir) || exit 1
trap 'rm -rf "$t"' EXIT
command -v h5diff >/dev/null 2>&1 || skip_all "h5diff not installed"
plan 10

printf 'id\tlabel\tsplit\taudio\tvisual\n' >"$t/m.tsv"
i=0
for row in "au_pcm16.wav png_grey8.png train" "au_float.wav png_pal4_grey.png train" \
           "au_pcm24.wav png_1bit.png train" "au_sine8k.wav png_rgb.png train" \
           "au_stereo44k.flac png_pal8.png train" "au_pcm16.wav png_la.png train" \
           "au_sine8k.wav png_grey8.png test" "au_pcm24.wav png_rgb.png test"; do
    set -- $row
    i=$((i + 1))
    printf 's%d\tc%d\t%s\t%s\t%s\n' $i $((i % 2)) "$3" "$fx/$1" "$fx/$2" >>"$t/m.tsv"
done
"$prep" -q --audio-rate 8000 --audio-features fbank --fit none --fbank-mel-bins 40 --fbank-rows 16 \
    --image-size 16 "$t/m.tsv" -o "$t/fb.h5" 2>"$t/err"
check "fbank store with native-length rows written" \
    sh -c "h5dump -H -d /audio/fbank_offset '$t/fb.h5' >/dev/null 2>&1 && h5dump -a /audio/fbank/target_rows '$t/fb.h5' | grep -q '(0): 16'"

args="--store $t/fb.h5 --epochs 2 --batch-size 2 --threads 1 --quiet --set model.width=4
      --set model.head-two-layer=true --set optim.lr=0.01"
check_exit 0 "run A trains on the fbank store" $train $args --out "$t/a"
check_exit 0 "verify reads every sample through the padding reader" "$prep" verify "$t/fb.h5"
check_exit 1 "run C stops after epoch 1 (interrupted)" \
    $train $args --out "$t/c" --set train.interrupt-after-epochs=1
check_exit 0 "run C resumes" $train --resume --out "$t/c" --quiet --set train.interrupt-after-epochs=0
strip() { sed 's/,"time_s":[^,}]*//' "$1"; }
strip "$t/a/log.jsonl" >"$t/la"
strip "$t/c/log.jsonl" >"$t/lc"
check "resumed log equals the uninterrupted log" \
    sh -c "test \$(grep -c '\"type\":\"epoch\"' '$t/la') -eq 2 && cmp -s '$t/la' '$t/lc'"
same_ckpt() {
    for g in /params /buffers /optim; do
        h5diff -q "$1" "$2" "$g" "$g" >/dev/null 2>&1 || return 1
    done
}
check "resumed checkpoint equals the uninterrupted one" same_ckpt "$t/a/ckpt/last.h5" "$t/c/ckpt/last.h5"
check_exit 0 "z-scoring per mel bin (data.audio.zscore) trains" \
    $train $args --out "$t/z" --set data.audio.zscore=true --epochs 1
"$probe" -s "$t/fb.h5" -j 1 "$t/a" >"$t/probe.out" 2>"$t/probe.err"
check "asgml-probe reads the fbank run's checkpoints" test $? -eq 0 -a -s "$t/probe.out"
check "asgml-probe reports the audio modality" grep -q audio "$t/probe.out"
done_testing
