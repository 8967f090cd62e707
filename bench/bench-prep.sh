#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-prep.sh - asgml-prep throughput in clips/s.
#   1. AV-Digits (3,000 clips, preset avdigits-clean) from $ASGML_AVDIGITS
#      (or the first argument), skipped when absent;
#   2. CREMA-D-shaped synthetic input: N clips (default 300) of 3 s at
#      22,050 Hz (16-bit WAV) plus one 640x480 RGB JPEG each, preset
#      ogmge-stft (STFT 512/353 -> (257,188), image short side 224 -> 224x299).
# The synthetic WAV is a header written with printf plus noise from
# /dev/urandom; the JPEG is one real 640x480 file (made with /usr/bin/python3
# + PIL when available, else BENCH_JPEG); both are symlinked N times.
#   3. the same clips at 44,100 Hz (resampled to 22,050 Hz by --resampler,
#      default soxr).
# Each line is the best of REPS runs (default 3), clips per wall-clock second
# of the asgml-prep process; then one profiled run (ASGML_PREP_PROFILE=1)
# gives the CPU seconds and share of each stage (asgml-prep(1), ENVIRONMENT).
# Usage: sh bench/bench-prep.sh [AVDIGITS_DIR]
#   env: ASGML_PREP (default tools/asgml-prep), JOBS (default all cores),
#        N (synthetic clips), REPS, RESAMPLER (soxr|src), TMPDIR
set -u
unset OPENBLAS_CORETYPE
prep=${ASGML_PREP:-tools/asgml-prep}
[ -x "$prep" ] || { echo "bench-prep.sh: $prep not found (build first or set ASGML_PREP)" >&2; exit 2; }
av=${1:-${ASGML_AVDIGITS:-}}
N=${N:-300}
jobs=${JOBS:+--jobs $JOBS}
REPS=${REPS:-3}
rs=${RESAMPLER:+--resampler $RESAMPLER}
t=$(mktemp -d "${TMPDIR:-/tmp}/bench-prep.XXXXXX") || exit 1
trap 'rm -rf "$t"' EXIT
now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%d clips in %.2f s: %.1f clips/s", n, b - a, n / (b - a) }'; }
# best N OUT ARGS...: the best of REPS runs of asgml-prep ARGS -o OUT
best() {
    n=$1; out=$2; shift 2
    bs=
    r=0
    while [ $r -lt "$REPS" ]; do
        a=$(now); "$prep" "$@" -o "$out" || exit 1; b=$(now)
        bs=$(awk -v a="$a" -v b="$b" -v s="$bs" 'BEGIN { d = b - a; print (s == "" || d < s) ? d : s }')
        rm -f "$out"
        r=$((r + 1))
    done
    rate "$n" 0 "$bs"
    printf ' (best of %d)' "$REPS"
}
profile() {   # profile OUT ARGS...: the stage shares of one run
    out=$1; shift
    ASGML_PREP_PROFILE=1 "$prep" "$@" -o "$out" 2>&1 >/dev/null | sed -n 's/^asgml-prep: profile: */    /p'
    rm -f "$out"
}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "machine: $(nproc) cores; jobs: ${JOBS:-all}"

if [ -n "$av" ] && [ -d "$av/fsdd" ]; then
    "$prep" avdigits-manifest --src "$av" --seed 1 -o "$t/av.tsv"
    a=$(now); "$prep" -q --preset avdigits-clean $jobs "$t/av.tsv" -o "$t/av.h5" || exit 1; b=$(now)
    echo "AV-Digits (avdigits-clean, spec deflate 1): $(rate 3000 "$a" "$b")"
    a=$(now); "$prep" -q --preset avdigits-clean --spec-deflate 0 $jobs "$t/av.tsv" -o "$t/av0.h5" || exit 1; b=$(now)
    echo "AV-Digits (spectrograms uncompressed):      $(rate 3000 "$a" "$b")"
else
    echo "AV-Digits: skipped (set ASGML_AVDIGITS)"
fi

# synthetic CREMA-D-shaped clips
mkdir -p "$t/s"
if [ -n "${BENCH_JPEG:-}" ]; then cp "$BENCH_JPEG" "$t/s/frame.jpg"
elif ! /usr/bin/python3 -c "
import random
from PIL import Image
random.seed(1)
im = Image.new('RGB', (640, 480))
im.putdata([(x % 256, y % 256, (x * y) % 256) for y in range(480) for x in range(640)])
im.save('$t/s/frame.jpg', quality=95)" 2>/dev/null; then
    echo "synthetic: skipped (needs /usr/bin/python3 with PIL, or BENCH_JPEG=640x480.jpg)"; exit 0
fi
bytes=$((66150 * 2))
le32() { printf "\\$(printf %03o $(($1 & 255)))\\$(printf %03o $((($1 >> 8) & 255)))\\$(printf %03o $((($1 >> 16) & 255)))\\$(printf %03o $((($1 >> 24) & 255)))"; }
{ printf 'RIFF'; le32 $((36 + bytes)); printf 'WAVEfmt '; le32 16; printf '\001\000\001\000'; le32 22050; le32 44100
  printf '\002\000\020\000data'; le32 $bytes; head -c $bytes /dev/urandom; } >"$t/s/clip.wav"
printf 'id\tlabel\tsplit\taudio\tvisual\n' >"$t/syn.tsv"
i=0
while [ $i -lt "$N" ]; do
    id=$(printf 'c%05d' $i)
    ln -s clip.wav "$t/s/$id.wav"; ln -s frame.jpg "$t/s/$id.jpg"
    printf '%s\t%s\ttrain\ts/%s.wav\ts/%s.jpg\n' "$id" $((i % 6)) "$id" "$id" >>"$t/syn.tsv"
    i=$((i + 1))
done
# the same clips at 44.1 kHz: resampled to the preset's 22,050 Hz
bytes=$((132300 * 2))
{ printf 'RIFF'; le32 $((36 + bytes)); printf 'WAVEfmt '; le32 16; printf '\001\000\001\000'; le32 44100; le32 88200
  printf '\002\000\020\000data'; le32 $bytes; head -c $bytes /dev/urandom; } >"$t/s/clip44.wav"
sed 's#s/\(c[0-9]*\)\.wav#s/\1.44.wav#' "$t/syn.tsv" >"$t/syn44.tsv"
i=0
while [ $i -lt "$N" ]; do ln -s clip44.wav "$t/s/$(printf 'c%05d' $i).44.wav"; i=$((i + 1)); done

echo "CREMA-D-shaped (3 s 22,050 Hz + 640x480 JPEG -> 224x299): $(best "$N" "$t/syn.h5" -q --preset ogmge-stft $jobs "$t/syn.tsv")"
profile "$t/syn.h5" -q --preset ogmge-stft $jobs "$t/syn.tsv"
echo "CREMA-D-shaped, 44.1 kHz input resampled (${RESAMPLER:-soxr}):  $(best "$N" "$t/syn44.h5" -q --preset ogmge-stft $rs $jobs "$t/syn44.tsv")"
profile "$t/syn44.h5" -q --preset ogmge-stft $rs $jobs "$t/syn44.tsv"
echo "CREMA-D-shaped, spectrograms uncompressed:                 $(best "$N" "$t/syn0.h5" -q --preset ogmge-stft --spec-deflate 0 $jobs "$t/syn.tsv")"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
