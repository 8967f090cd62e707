#!/bin/sh
# SPDX-License-Identifier: MIT
# prep-fbank.sh - asgml-prep --audio-features fbank and --preset fbank-ast:
# /audio/fbank (R, mel bins) float32 unpadded rows + /audio/fbank_offset
# (datasets.md 7.2) with sample_dataset "fbank" and every fbank parameter
# as an attribute; the preset keeps each clip's own length (no tiling) and
# the wave as (S,) + wave_offset; verify reads the store back.
. "$top_srcdir/tests/lib.sh"
prep=$(cd "$(dirname "$(bin asgml-prep)")" && pwd)/asgml-prep
fx=$(cd "$top_srcdir/tests/fixtures/dsp" && pwd)
t=$(tmpdir) || exit 1
trap 'rm -rf "$t"' EXIT
command -v h5dump >/dev/null 2>&1 || skip_all "h5dump not installed"
plan 14

printf 'id\tlabel\tsplit\taudio\tvisual\n' >"$t/m.tsv"
printf 'a\tcat\ttrain\t%s\t%s\n' "$fx/au_pcm16.wav" "$fx/png_grey8.png" >>"$t/m.tsv"
printf 'b\tdog\ttest\t%s\t%s\n' "$fx/au_float.wav" "$fx/jpg_rgb.jpg" >>"$t/m.tsv"
common="--audio-rate 8000 --fit-seconds 0.25 --image-size 28 -q"

check_exit 2 "--audio-features bogus is a usage error" "$prep" --audio-features mfcc "$t/m.tsv" -o "$t/x.h5"
check_exit 2 "--fbank-mel-bins 1 is a usage error" "$prep" --fbank-mel-bins 1 "$t/m.tsv" -o "$t/x.h5"
check "--help documents --audio-features" sh -c "'$prep' --help | grep -q -- --audio-features"

# 8 kHz, 0.25 s = 2000 samples: L 200, S 80 -> 1 + 1800/80 = 23 frames
check_exit 0 "--audio-features fbank --fbank-mel-bins 40" \
    "$prep" $common --audio-features fbank --fbank-mel-bins 40 "$t/m.tsv" -o "$t/fb.h5"
h5dump -H "$t/fb.h5" >"$t/hdr" 2>&1
check "/audio/fbank is (46, 40) float32 rows, fbank_offset 0 23 46" \
    sh -c "h5dump -H -d /audio/fbank '$t/fb.h5' | grep -q 'DATASPACE  SIMPLE { ( 46, 40 ) /' && h5dump -H -d /audio/fbank '$t/fb.h5' | grep -q H5T_IEEE_F32LE && h5dump -d /audio/fbank_offset '$t/fb.h5' | grep -q '(0): 0, 23, 46'"
check "no /audio/spec" sh -c "! h5dump -H -d /audio/spec '$t/fb.h5' >/dev/null 2>&1"
check "/audio sample_dataset is fbank" \
    sh -c "h5dump -a /audio/sample_dataset '$t/fb.h5' | grep -q '\"fbank\"'"
ok=1
for a in kind num_mel_bins frame_length frame_shift n_fft preemphasis low_freq high_freq \
         normalize norm_mean norm_std sample_rate fit_length frames dither snip_edges window; do
    grep -q "ATTRIBUTE \"$a\"" "$t/hdr" || { ok=0; echo "# missing attribute $a"; }
done
check "every fbank parameter is an attribute" test $ok -eq 1
check "frame_length 200, n_fft 256 at 8 kHz" \
    sh -c "h5dump -a /audio/fbank/frame_length '$t/fb.h5' | grep -q '(0): 200' && h5dump -a /audio/fbank/n_fft '$t/fb.h5' | grep -q '(0): 256'"
check_exit 0 "verify reads the fbank store" "$prep" verify "$t/fb.h5"

# the preset at the fixtures' 8 kHz: no fit, each clip's own length: a has
# 1000 samples -> 1 + (1000 - 200) / 80 = 11 rows, b (300 samples at
# 22.05 kHz -> 109) is shorter than one frame -> 0 rows; target_rows 1024
check_exit 0 "--preset fbank-ast (rate and length overridden)" \
    "$prep" --preset fbank-ast --audio-rate 8000 --fit-seconds 0.5 --image-channels 1 --image-size 28 -q \
    "$t/m.tsv" -o "$t/ast.h5"
check "preset: native rows (11, 128), offsets 0 11 11, wave 0 1000 1109, target_rows 1024, normalize 1" \
    sh -c "h5dump -H -d /audio/fbank '$t/ast.h5' | grep -q '( 11, 128 )' && h5dump -d /audio/fbank_offset '$t/ast.h5' | grep -q '(0): 0, 11, 11' && h5dump -d /audio/wave_offset '$t/ast.h5' | grep -q '(0): 0, 1000, 1109' && h5dump -a /audio/fbank/target_rows '$t/ast.h5' | grep -q '(0): 1024' && h5dump -a /audio/fbank/normalize '$t/ast.h5' | grep -q '(0): 1' && h5dump -a /preset '$t/ast.h5' | grep -q fbank-ast"
check_exit 0 "--preset fbank-ast --no-fbank-norm" \
    "$prep" --preset fbank-ast --no-fbank-norm --audio-rate 8000 --fit-seconds 0.5 --image-channels 1 --image-size 28 -q \
    "$t/m.tsv" -o "$t/raw.h5"
# normalised = (raw + 4.503877) / (2 * 5.141276), on the first values
h5dump -m '%.9g' -d /audio/fbank -s 0,0 -c 1,8 -y -w 0 "$t/raw.h5" | sed -n '/DATA {/,/}/{p;/}/q}' | tr -c '0-9eE.+-' '\n' | grep '[0-9]' >"$t/raw.txt"
h5dump -m '%.9g' -d /audio/fbank -s 0,0 -c 1,8 -y -w 0 "$t/ast.h5" | sed -n '/DATA {/,/}/{p;/}/q}' | tr -c '0-9eE.+-' '\n' | grep '[0-9]' >"$t/ast.txt"
check "--no-fbank-norm gives the unnormalised values" \
    awk 'NR==FNR { r[FNR] = $1; n = FNR; next }
         { d = (r[FNR] + 4.503877) / (2 * 5.141276) - $1; if (d < 0) d = -d; if (d > 1e-5) bad = 1; m = FNR }
         END { exit (bad || m != 8 || n != 8) }' "$t/raw.txt" "$t/ast.txt"
done_testing
