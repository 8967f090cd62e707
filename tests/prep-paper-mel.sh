#!/bin/sh
# SPDX-License-Identifier: MIT
# prep-paper-mel.sh - asgml-prep presets ogmge-paper (datasets.md 2.6: scipy
# PSD, z-scored, (257, 299) at 3 s and (257, 1004) at 10 s) and af-mel
# (datasets.md 3: AF's librosa mel, (128, 128) at any clip length): shapes,
# attributes, refused combinations, --keep-bad, verify; on AV-Digits
# ($ASGML_AVDIGITS, 80 clips) the documented shapes and a one-epoch
# asgml-train run on each store.  The values themselves are checked against
# scipy/librosa/torch by tests/test-spectral.
. "$top_srcdir/tests/lib.sh"
command -v h5dump >/dev/null 2>&1 || skip_all "h5dump not installed"
prep=$(cd "$(dirname "$(bin asgml-prep)")" && pwd)/asgml-prep
train=$(bin asgml-train)
fx=$(cd "$top_srcdir/tests/fixtures/dsp" && pwd)
t=$(tmpdir) || exit 1
trap 'rm -rf "$t"' EXIT
plan 23

# shape STORE "( N, F, T )": the DATASPACE of /audio/spec
shape() { h5dump -H -d /audio/spec "$1" 2>/dev/null | grep -q "DATASPACE  SIMPLE { $2 /"; }
# attr STORE NAME VALUE: /audio/spec attribute NAME is VALUE (string or number)
attr() { h5dump -a "/audio/spec/$2" "$1" 2>/dev/null | grep -q "(0): $3\$"; }
# values STORE I: the floats of sample I, one a line
values() {
    h5dump -m '%.9g' -d /audio/spec -s "$2,0,0" -c "1,$3,$4" -y -w 0 "$1" |
        sed -n '/DATA {/,/}/{p;/}/q}' | sed '1d;$d' | tr ', ' '\n\n' | grep '[0-9]'
}

printf 'id\tlabel\tsplit\taudio\tvisual\n' >"$t/m.tsv"
printf 'a\tcat\ttrain\t%s\t%s\n' "$fx/au_pcm16.wav" "$fx/png_grey8.png" >>"$t/m.tsv"
printf 'b\tdog\ttest\t%s\t%s\n' "$fx/au_float.wav" "$fx/jpg_rgb.jpg" >>"$t/m.tsv"
img="--image-channels 1 --image-size 28 -q"

check_exit 2 "--audio-features psd with an odd --n-fft is refused" \
    "$prep" --audio-features psd --n-fft 511 "$t/m.tsv" -o "$t/x.h5"
check_exit 2 "--fit none with psd is refused" "$prep" --preset ogmge-paper --fit none "$t/m.tsv" -o "$t/x.h5"
check_exit 2 "af-mel with --mel-size 0 and --fit none is refused" \
    "$prep" --preset af-mel --mel-size 0 "$t/m.tsv" -o "$t/x.h5"
check_exit 2 "--mel-size 3 is a usage error" "$prep" --preset af-mel --mel-size 3 "$t/m.tsv" -o "$t/x.h5"
check "--help names both presets" sh -c "'$prep' --help | grep -q ogmge-paper && '$prep' --help | grep -q af-mel"

# the fixtures (8 kHz 1000 samples, 22.05 kHz 300 samples) at 16 kHz, tiled to 3 s
check_exit 0 "--preset ogmge-paper" "$prep" --preset ogmge-paper $img "$t/m.tsv" -o "$t/p.h5"
p_shape() { shape "$t/p.h5" "( 2, 257, 299 )" && h5dump -a /preset "$t/p.h5" | grep -q '"ogmge-paper"'; }
check "ogmge-paper: /audio/spec (2, 257, 299), preset recorded" p_shape
p_attrs() {
    attr "$t/p.h5" kind '"scipy_psd_zscore"' && attr "$t/p.h5" nperseg 512 &&
    attr "$t/p.h5" noverlap 353 && attr "$t/p.h5" hop 159 && attr "$t/p.h5" tukey_alpha 0.25 &&
    attr "$t/p.h5" center 0 && attr "$t/p.h5" pad_mode '"none"' && attr "$t/p.h5" detrend '"constant"' &&
    attr "$t/p.h5" sample_rate 16000 && attr "$t/p.h5" fit '"tile"' && attr "$t/p.h5" frames 299
}
check "ogmge-paper attributes: scipy_psd_zscore, nperseg 512, noverlap 353, hop 159, Tukey 0.25, not centred, pad_mode none" p_attrs
values "$t/p.h5" 0 257 299 >"$t/v"
check "ogmge-paper: each clip z-scored (mean 0, population std 1 over its 257 x 299)" \
    awk '{ s += $1; q += $1 * $1; n++ } END { m = s / n; v = q / n - m * m;
          exit !(n == 257 * 299 && m < 1e-4 && m > -1e-4 && v > 0.999 && v < 1.001) }' "$t/v"
check_exit 0 "--preset ogmge-paper --fit-seconds 10" \
    "$prep" --preset ogmge-paper --fit-seconds 10 $img "$t/m.tsv" -o "$t/p10.h5"
check "10 s: (2, 257, 1004)" shape "$t/p10.h5" "( 2, 257, 1004 )"

check_exit 0 "--preset af-mel" "$prep" --preset af-mel $img "$t/m.tsv" -o "$t/a.h5"
a_shape() { shape "$t/a.h5" "( 2, 128, 128 )" && h5dump -d /audio/wave_offset "$t/a.h5" | grep -q '(0): 0, 2000, 2218'; }
check "af-mel: (2, 128, 128) from clips of 2000 and 218 samples (own length), waves 0 2000 2218" a_shape
a_attrs() {
    attr "$t/a.h5" kind '"librosa_mel_db_minmax"' && attr "$t/a.h5" n_fft 2048 &&
    attr "$t/a.h5" hop 512 && attr "$t/a.h5" center 1 && attr "$t/a.h5" pad_mode '"constant"' &&
    attr "$t/a.h5" num_mel_bins 128 && attr "$t/a.h5" mel_norm '"slaney"' && attr "$t/a.h5" top_db 80 &&
    attr "$t/a.h5" height 128 && attr "$t/a.h5" width 128 && attr "$t/a.h5" fit '"none"'
}
check "af-mel attributes: librosa_mel_db_minmax, n_fft 2048, hop 512, pad_mode constant, 128 slaney mels, top_db 80" a_attrs
values "$t/a.h5" 0 128 128 >"$t/v"
# the resize interpolates: the minimum 0 of the (128, 4) matrix need not survive, its maximum 1
# does here (mel rows are kept, time is upsampled and the end columns are copies)
check "af-mel values lie in [0, 1], the maximum 1 kept" \
    awk 'NR == 1 { lo = hi = $1 } { if ($1 < lo) lo = $1; if ($1 > hi) hi = $1; n++ }
         END { exit !(n == 128 * 128 && lo >= 0 && lo < 0.5 && hi <= 1 && hi > 0.999) }' "$t/v"
check_exit 0 "af-mel --fit tile --fit-seconds 1 --mel-size 0: no resize" \
    "$prep" --preset af-mel --fit tile --fit-seconds 1 --mel-size 0 $img "$t/m.tsv" -o "$t/a0.h5"
check "no resize: (2, 128, 32) = 1 + 16000/512 frames" shape "$t/a0.h5" "( 2, 128, 32 )"

# --keep-bad: a missing clip keeps the features of a silent clip (0 everywhere)
cp "$t/m.tsv" "$t/k.tsv"
printf 'c\tdog\ttrain\t%s\t%s\n' "$t/missing.wav" "$fx/jpg_rgb.jpg" >>"$t/k.tsv"
check_exit 0 "af-mel --keep-bad with a missing clip" "$prep" --preset af-mel --keep-bad $img "$t/k.tsv" -o "$t/k.h5"
values "$t/k.h5" 2 128 128 >"$t/v"
check "... its spec is 128 x 128 zeros, its wave empty" \
    sh -c "test \$(grep -c . '$t/v') -eq 16384 && ! grep -qv '^0\$' '$t/v' &&
           h5dump -d /audio/wave_offset '$t/k.h5' | grep -q '(0): 0, 2000, 2218, 2218'"
check "verify reads all three stores" sh -c "'$prep' verify '$t/p.h5' '$t/a.h5' '$t/k.h5' >/dev/null"

if [ -z "$ASGML_AVDIGITS" ] || [ ! -d "$ASGML_AVDIGITS/fsdd" ]; then
    for i in 1 2 3; do echo "ok $((n + i)) # SKIP AV-Digits not found (set ASGML_AVDIGITS)"; done
    exit $([ "$failed" -eq 0 ] && echo 0 || echo 1)
fi
# AV-Digits: 4 clips per digit and split (80), 8 kHz FSDD resampled to 16 kHz
"$prep" avdigits-manifest --src "$ASGML_AVDIGITS" --seed 1 -o "$t/avd.tsv" &&
    awk -F'\t' '/^#/ || !h++ { print; next } { k = $2 FS $3; if (c[k]++ < 4) print }' "$t/avd.tsv" >"$t/s.tsv" ||
    { echo "Bail out! avdigits-manifest failed"; exit 1; }
"$prep" --preset ogmge-paper $img -j 2 "$t/s.tsv" -o "$t/avd-paper.h5" &&
    "$prep" --preset af-mel $img -j 2 "$t/s.tsv" -o "$t/avd-mel.h5" ||
    { echo "Bail out! asgml-prep on AV-Digits failed"; exit 1; }
avd_shapes() { shape "$t/avd-paper.h5" "( 80, 257, 299 )" && shape "$t/avd-mel.h5" "( 80, 128, 128 )"; }
check "AV-Digits: ogmge-paper (80, 257, 299), af-mel (80, 128, 128)" avd_shapes
tiny="-e 1 -j 1 -q -b 16 --set model.width=4 --set model.blocks=1,1,1,1 --set train.keep-checkpoints=0"
for s in paper mel; do
    "$train" -s "$t/avd-$s.h5" -o "$t/run-$s" $tiny >"$t/log-$s" 2>&1
    rc=$?
    check "asgml-train trains one epoch on the $s store (exit $rc): $(tail -c 200 "$t/log-$s")" \
        sh -c "test $rc -eq 0 && grep -q '\"test.acc.audio\"' '$t/run-$s/summary.json'"
done
done_testing
