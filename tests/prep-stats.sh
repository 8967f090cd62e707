#!/bin/sh
# SPDX-License-Identifier: MIT
# prep-stats.sh - /stats written by asgml-prep (asgml-store(5), Statistics):
# per-feature mean/std of the default scheme's training split for every
# stored dataset (spec, fbank, wave, image, image_clean, frames, seq) equal
# numpy's (tests/fixtures/make_stats_fixtures.py, output committed in
# tests/fixtures/stats/) at 1e-6 relative; the store is byte-identical for
# --jobs 1 and 2; asgml-train with data.<m>.zscore = true trains on it, and
# refuses a store that has no /stats, naming the dataset.
. "$top_srcdir/tests/lib.sh"
prep=$(cd "$(dirname "$(bin asgml-prep)")" && pwd)/asgml-prep
train=$(bin asgml-train)
fx=$(cd "$top_srcdir/tests/fixtures/dsp" && pwd)
ref=$(cd "$top_srcdir/tests/fixtures/stats" && pwd)
t=$(tmpdir) || exit 1
trap 'rm -rf "$t"' EXIT
command -v h5dump >/dev/null 2>&1 || skip_all "h5dump not installed"
plan 14

# Two schemes whose train parts differ: the statistics must follow the first
# (the default).  Store A: spectrogram + wave, grey image degraded (noise)
# with image_clean.  Store B: fbank, RGB frames (variable count), seq.
printf 'id\tlabel\tsplit:a\tsplit:b\taudio\tvisual\n' >"$t/a.tsv"
printf 'id\tlabel\tsplit:a\tsplit:b\taudio\tvisual:frames\tfeat:seq\n' >"$t/b.tsv"
i=0
for row in "au_pcm16.wav png_grey8.png jpg_444.jpg au_pcm16.f32 train test" \
           "au_float.wav png_pal4_grey.png jpg_rgb.jpg;jpg_prog.jpg au_float.f32 train train" \
           "au_pcm24.wav png_1bit.png jpg_cmyk.jpg au_pcm24.f32 test train" \
           "au_sine8k.wav png_rgb.png jpg_grey.jpg;jpg_444.jpg;jpg_rgb.jpg fbank_8k.f32 train train" \
           "au_stereo44k.flac png_pal8.png png_rgb.png stft_sig.f32 train test" \
           "au_pcm16.wav png_la.png jpg_prog.jpg fbank_sig.f32 test train"; do
    set -- $row
    i=$((i + 1))
    lab=$(( i % 2 ))
    fr=$(printf '%s' "$3" | sed "s#\([^;]*\)#$fx/\1#g")
    printf 's%d\tc%d\t%s\t%s\t%s\t%s\n' $i $lab "$5" "$6" "$fx/$1" "$fx/$2" >>"$t/a.tsv"
    printf 's%d\tc%d\t%s\t%s\t%s\t%s\t%s\n' $i $lab "$5" "$6" "$fx/$1" "$fr" "$fx/$4" >>"$t/b.tsv"
done
common="--audio-rate 8000 --fit-seconds 0.25 -q"
optsa="$common --n-fft 256 --hop 80 --image-size 28 --img-noise 20 --seed 3"
optsb="$common --audio-features fbank --fbank-mel-bins 40 --image-channels 3 --image-size 16 --seq-dim 4 --seq-len 100"
mkdir "$t/j1" "$t/j2"
for j in 1 2; do
    (cd "$t/j$j" && SOURCE_DATE_EPOCH=1700000000 "$prep" $optsa --jobs $j ../a.tsv -o a.h5 &&
     SOURCE_DATE_EPOCH=1700000000 "$prep" $optsb --jobs $j ../b.tsv -o b.h5)
done
check "both stores made with --jobs 1 and 2" test -f "$t/j1/a.h5" -a -f "$t/j2/a.h5" -a -f "$t/j1/b.h5" -a -f "$t/j2/b.h5"
# the files differ only in the attribute command_line (--jobs); every
# dataset, /stats included, is covered by the content checksum
sha() { h5dump -a /content_sha256 "$1" | sed -n 's/.*(0): "\(.*\)".*/\1/p'; }
for s in a b; do
    a1=$(sha "$t/j1/$s.h5"); a2=$(sha "$t/j2/$s.h5")
    check "store $s: every dataset byte-identical for --jobs 1 and 2 (content_sha256)" \
        test -n "$a1" -a "$a1" = "$a2"
done
h5dump -g /stats "$t/j1/b.h5" | sed 1d >"$t/s1"; h5dump -g /stats "$t/j2/b.h5" | sed 1d >"$t/s2"
check "store b: /stats (values and attributes) identical for --jobs 1 and 2" \
    sh -c "test -s '$t/s1' && cmp -s '$t/s1' '$t/s2'"

# dump every /stats/.../{mean,std} as "path index value"
dump() {   # dump STORE REFFILE > lines
    for p in $(cut -d' ' -f1 "$2" | uniq); do
        h5dump -m '%.17g' -d "$p" -y -w 0 "$1" | sed -n '/DATA {/,/}/{p;/}/q}' | tr -c '0-9eE.+-' '\n' |
            grep '[0-9]' | awk -v p="$p" '{ print p, NR - 1, $1 }'
    done
}
# compare REF GOT: same paths and indices, every value within 1e-6 relative
compare() {
    awk 'NR == FNR { r[$1 " " $2] = $3; n++; next }
         { k = $1 " " $2; if (!(k in r)) { print "# extra " k; bad = 1; next }
           d = $3 - r[k]; if (d < 0) d = -d; a = r[k] < 0 ? -r[k] : r[k];
           if (d > 1e-6 * a + 1e-300) { print "# " k ": " $3 " vs numpy " r[k]; bad = 1 }
           m++ }
         END { if (m != n) { print "# " m " values, numpy has " n; bad = 1 } exit bad }' "$1" "$2"
}
for s in a b; do
    dump "$t/j1/$s.h5" "$ref/$s.txt" >"$t/$s.got"
    check "store $s: /stats equal numpy's at 1e-6 relative ($(wc -l <"$ref/$s.txt") values)" \
        compare "$ref/$s.txt" "$t/$s.got"
done
check "A: spec per frequency bin (129), wave, image, image_clean" \
    sh -c "grep -c '^/stats/audio/mean ' '$t/a.got' | grep -qx 129 && grep -q '^/stats/audio/wave/std 0 ' '$t/a.got' && grep -q '^/stats/visual/image_clean/mean 0 ' '$t/a.got' && grep -q '^/stats/visual/std 0 ' '$t/a.got'"
check "B: fbank per mel bin (40), frames per channel (3), seq per feature (4)" \
    sh -c "grep -c '^/stats/audio/mean ' '$t/b.got' | grep -qx 40 && grep -c '^/stats/visual/std ' '$t/b.got' | grep -qx 3 && grep -c '^/stats/feat/mean ' '$t/b.got' | grep -qx 4"
check "attribute split names the default scheme's train part" \
    sh -c "h5dump -a /stats/audio/mean/split '$t/j1/a.h5' | grep -q '\"a/train\"'"
check "attribute count: train samples x time frames (4 x 26)" \
    sh -c "h5dump -a /stats/audio/mean/count '$t/j1/a.h5' | grep -q '(0): 104'"

# training with z-scoring on store A (spectrogram per bin, image per channel)
base="--epochs 1 --batch-size 2 --quiet --set model.width=4"
"$train" $base --store "$t/j1/a.h5" --set data.audio.zscore=true --set data.visual.zscore=true \
    --out "$t/run" >/dev/null 2>"$t/err"
check "asgml-train with data.audio.zscore and data.visual.zscore trains" \
    sh -c "grep -q '\"status\": \"complete\"' '$t/run/summary.json'"
"$train" $base --store "$t/j1/a.h5" --out "$t/run0" >/dev/null 2>&1
check "z-scoring changes what the model sees (another log)" \
    sh -c "test -s '$t/run0/log.jsonl' && ! cmp -s '$t/run/log.jsonl' '$t/run0/log.jsonl'"
# a store without /stats (written by hand, not by asgml-prep): a clear error
"$top_builddir/tests/probe-mkstore" "$t/tiny.h5" 16 >/dev/null 2>&1
"$train" $base --store "$t/tiny.h5" --set data.visual.zscore=true --out "$t/run2" >/dev/null 2>"$t/err"
rc=$?
check "no /stats: exit 1 naming /stats/visual/mean" \
    sh -c "test $rc -eq 1 && grep -q 'data.visual.zscore is set but /stats/visual/mean is absent' '$t/err'"
check_exit 0 "verify accepts a store with /stats" "$prep" verify "$t/j1/b.h5"
done_testing
