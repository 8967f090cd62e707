#!/bin/sh
# SPDX-License-Identifier: MIT
# ave.sh - AVE (AVE_Dataset.zip: AVE/*.mp4 + Annotations.txt, and the split
# files trainSet.txt, valSet.txt, testSet.txt) into an asgml store
# (asgml-prep(1), DATA SETS, AVE).
#
# Usage: OUT=dir [LISTS=dir] sh data-recipes/ave.sh SRC
#   SRC      directory holding AVE/ (the videos) and Annotations.txt
#   LISTS    directory with trainSet.txt valSet.txt testSet.txt (default SRC);
#            lines "Category&VideoID&Quality&StartTime&EndTime", no header
#   plus OUT, ASGML_PREP, FFMPEG, JOBS, SEED, STAGE, PRESENT_MIN (common.sh)
# One sample per split-file line: an id seen before gets the suffix #k
# (meta:dup = k), so the 27+1 duplicated events stay separate samples.
# Classes: the 28 categories sorted bytewise (OGM/AF order).  ffmpeg writes
# 1 fps frames and 16 kHz mono audio under OUT/ave/; missing videos are
# listed in OUT/ave/missing.txt and the run fails below PRESENT_MIN percent.
# Writes OUT/ave.manifest.tsv (id label split:ave meta:video meta:dup:int
# meta:event_start:int meta:event_end:int audio visual:frames) and
# OUT/ave.h5 (16 kHz, 10 s tiled, STFT 512/160, RGB frames short side 224).
. "$(dirname "$0")/common.sh"
SRC=${1:?usage: OUT=dir sh ave.sh SRC}
: "${OUT:?set OUT}" "${LISTS:=$SRC}"
[ -d "$SRC/AVE" ] || die "$SRC/AVE: missing"
mkdir -p "$OUT/ave"
lines="$OUT/ave/lines.tsv"
for part in train val test; do
    f="$LISTS/${part}Set.txt"
    [ -f "$f" ] || die "$f: missing"
    tr -d '\r' <"$f" | awk -F'&' -v p="$part" 'NF == 5 { print $2 "\t" $1 "\t" p "\t" $4 "\t" $5 }'
done >"$lines"
cut -f2 "$lines" | LC_ALL=C sort -u >"$OUT/ave/classes.txt"
: >"$OUT/ave/missing.txt"
man="$OUT/ave.manifest.tsv"
{
    printf '#@dataset\tave\n#@root\t%s\n' "$(cd "$OUT" && pwd)"
    printf 'id\tlabel\tsplit:ave\tmeta:video\tmeta:dup:int\tmeta:event_start:int\tmeta:event_end:int\taudio\tvisual:frames\n'
} >"$man.tmp"
while IFS='	' read -r vid cat part s e; do
    mp4="$SRC/AVE/$vid.mp4"
    if [ ! -f "$mp4" ]; then echo "$vid" >>"$OUT/ave/missing.txt"; continue; fi
    audio "$mp4" "$OUT/ave/audio/$vid.wav" 16000 || true
    frames "$mp4" "$OUT/ave/frames/$vid" 1 || true
    printf '%s\t%s\t%s\t%s\t%s\n' "$vid" "$cat" "$part" "$s" "$e"
done <"$lines" | awk -F'\t' '{ k = seen[$1]++; id = k ? $1 "#" k : $1
    printf "%s\t%s\t%s\t%s\t%d\t%s\t%s\tave/audio/%s.wav\tave/frames/%s/*.jpg\n", id, $2, $3, $1, k, $4, $5, $1, $1 }' >>"$man.tmp"
mv "$man.tmp" "$man"
present_check "$(wc -l <"$lines")" "$(( $(grep -vc '^#' "$man") - 1 ))"
[ "$STAGE" = manifest ] && exit 0
exec "$ASGML_PREP" --classes "$OUT/ave/classes.txt" --audio-rate 16000 --fit-seconds 10 --n-fft 512 --hop 160 \
    --image-channels 3 --short-side 224 --seed "$SEED" $(jobs_opt) --skip-bad --max-bad 0.05 "$man" -o "$OUT/ave.h5"
