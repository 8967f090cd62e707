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
# Usage: sh bench/bench-prep.sh [AVDIGITS_DIR]
#   env: ASGML_PREP (default tools/asgml-prep), JOBS (default all cores),
#        N (synthetic clips), TMPDIR
set -u
prep=${ASGML_PREP:-tools/asgml-prep}
[ -x "$prep" ] || { echo "bench-prep.sh: $prep not found (build first or set ASGML_PREP)" >&2; exit 2; }
av=${1:-${ASGML_AVDIGITS:-}}
N=${N:-300}
jobs=${JOBS:+--jobs $JOBS}
t=$(mktemp -d "${TMPDIR:-/tmp}/bench-prep.XXXXXX") || exit 1
trap 'rm -rf "$t"' EXIT
now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%d clips in %.2f s: %.1f clips/s", n, b - a, n / (b - a) }'; }
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
a=$(now); "$prep" -q --preset ogmge-stft $jobs "$t/syn.tsv" -o "$t/syn.h5" || exit 1; b=$(now)
echo "CREMA-D-shaped (3 s 22,050 Hz + 640x480 JPEG -> 224x299): $(rate "$N" "$a" "$b")"
a=$(now); "$prep" -q --preset ogmge-stft --spec-deflate 0 $jobs "$t/syn.tsv" -o "$t/syn0.h5" || exit 1; b=$(now)
echo "CREMA-D-shaped, spectrograms uncompressed:                 $(rate "$N" "$a" "$b")"
