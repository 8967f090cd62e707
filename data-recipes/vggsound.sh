#!/bin/sh
# SPDX-License-Identifier: MIT
# vggsound.sh - VGGSound (asgml-prep(1), DATA SETS, VGGSound) from vggsound.csv and the clips you
# could download, into an asgml store.
#
# Usage: OUT=dir [CSV=SRC/vggsound.csv] sh data-recipes/vggsound.sh SRC
#   SRC      directory with video/{YTID}_{start}.mp4 (start unpadded or
#            zero-padded to 6 digits; both are looked for)
#   CSV      rows YTID,start,label,split with quoted labels containing commas
#            ("railroad car, train wagon"); parsed as real CSV
#   MIN_FRAMES  FEW_FRAMES below this many frames (default 4: OGM and BB
#            drop clips with 3 frames or fewer; exclude them with
#            data.exclude-flags)
#   plus OUT, ASGML_PREP, FFMPEG, FFPROBE, JOBS, SEED, STAGE, PRESENT_MIN,
#   KEEP_BAD (common.sh)
# Classes in order of first appearance among the train rows (OGM/BB), written
# to OUT/vgg/classes.txt.  Missing clips go to OUT/vgg/missing.txt; the run
# fails when fewer than PRESENT_MIN percent (default 70) are present.
# ffmpeg writes 16 kHz mono audio and 1 fps frames under OUT/vgg/.  Audio:
# preset vggsound-ogm (OGM's loader, datasets.md 5): the 10 s wave (tiled,
# clamped) is stored; the loader cuts a 5 s window (training: start uniform
# in [0, 80000]; evaluation: 40000, a departure from OGM, which draws it at
# test time too) and takes the STFT 256/128, centred -> (129, 626).
# Writes OUT/vggsound.manifest.tsv (id label split:vggsound meta:youtube_id
# meta:start:int video_seconds audio visual:frames), OUT/vggsound.h5 (RGB
# frames short side 224) and its .report.tsv.
. "$(dirname "$0")/common.sh"
SRC=${1:?usage: OUT=dir sh vggsound.sh SRC}
: "${OUT:?set OUT}" "${CSV:=$SRC/vggsound.csv}" "${MIN_FRAMES:=4}"
[ -f "$CSV" ] || die "$CSV: missing"
mkdir -p "$OUT/vgg"
rows="$OUT/vgg/rows.tsv"
# CSV -> TSV: fields may be quoted, "" is a quote inside a quoted field
tr -d '\r' <"$CSV" | awk '
function parse(line,    i, c, f, q, n) {
    n = 0; f = ""; q = 0
    for (i = 1; i <= length(line); i++) {
        c = substr(line, i, 1)
        if (q) { if (c == "\"") { if (substr(line, i + 1, 1) == "\"") { f = f c; i++ } else q = 0 } else f = f c }
        else if (c == "\"") q = 1
        else if (c == ",") { fld[++n] = f; f = "" }
        else f = f c
    }
    fld[++n] = f
    return n
}
{ if (parse($0) != 4 || fld[2] !~ /^[0-9]+$/) next   # header or malformed
  printf "%s\t%s\t%s\t%s\n", fld[1], fld[2], fld[3], fld[4] }' >"$rows"
awk -F'\t' '$4 == "train" && !seen[$3]++ { print $3 }' "$rows" >"$OUT/vgg/classes.txt"
: >"$OUT/vgg/missing.txt"
man="$OUT/vggsound.manifest.tsv"
{
    printf '#@dataset\tvggsound\n#@root\t%s\n' "$(cd "$OUT" && pwd)"
    printf 'id\tlabel\tsplit:vggsound\tmeta:youtube_id\tmeta:start:int\tvideo_seconds\taudio\tvisual:frames\n'
} >"$man.tmp"
while IFS='	' read -r yt start label part; do
    id="${yt}_$start"
    mp4="$SRC/video/$id.mp4"
    [ -f "$mp4" ] || mp4="$SRC/video/${yt}_$(printf '%06d' "$start").mp4"
    if [ ! -f "$mp4" ]; then echo "$id" >>"$OUT/vgg/missing.txt"; continue; fi
    audio "$mp4" "$OUT/vgg/audio/$id.wav" 16000 || true
    frames "$mp4" "$OUT/vgg/frames/$id" 1 || true
    printf '%s\t%s\t%s\t%s\t%s\t%s\tvgg/audio/%s.wav\tvgg/frames/%s/*.jpg\n' "$id" "$label" "$part" "$yt" "$start" \
        "$(probe "$mp4" | cut -d' ' -f1)" "$id" "$id"
done <"$rows" >>"$man.tmp"
mv "$man.tmp" "$man"
present_check "$(wc -l <"$rows")" "$(( $(grep -vc '^#' "$man") - 1 ))"
[ "$STAGE" = manifest ] && exit 0
exec "$ASGML_PREP" --preset vggsound-ogm --classes "$OUT/vgg/classes.txt" --seed "$SEED" $(jobs_opt) --skip-bad \
    $(keep_bad_opt) --min-frames "$MIN_FRAMES" --max-bad 0.05 "$man" -o "$OUT/vggsound.h5"
