#!/bin/sh
# SPDX-License-Identifier: MIT
# cremad.sh - CREMA-D (git-lfs clone of CheyneyComputerScience/CREMA-D) into
# an asgml store with preset ogmge-stft (asgml-prep(1), DATA SETS, CREMA-D).
#
# Usage: OUT=dir [LISTS=dir] [FPS_KEPT=1] [VIDEO_FPS=30] sh data-recipes/cremad.sh SRC
#   SRC        the clone: AudioWAV/*.wav, VideoFlash/*.flv,
#              processedResults/summaryTable.csv
#   LISTS      directory with OGM's train.csv and test.csv ("id,EMO", CRLF, no
#              header; OGM-GE @343dc1d data/CREMAD/) -> split column ogmge;
#              without it every sample has split "-"
#   FPS_KEPT   frames kept per second (OGM rule, asgml-prep(1), DATA SETS, CREMA-D: frame n is
#              kept when n mod (F div K) == 0 within each second; with
#              FPS_KEPT=1 frames 0, F, 2F, ...)
#   VIDEO_FPS  integer frame rate F of the FLVs (OGM truncates 29.97 to 29;
#              default 30, probe yours with ffprobe)
#   plus OUT, ASGML_PREP, FFMPEG, JOBS, SEED, STAGE (data-recipes/common.sh)
# Writes: OUT/cremad/frames/<id>/NNNNN.jpg (ffmpeg, once per clip),
#   OUT/cremad.manifest.tsv (columns id label split:ogmge group:actor
#   meta:sentence meta:level audio visual:frames; labels in OGM order
#   NEU HAP SAD FEA DIS ANG), OUT/cremad.ogmge-stft.h5.
# Fails with a message naming git-lfs when the media are LFS pointer stubs.
. "$(dirname "$0")/common.sh"
SRC=${1:?usage: OUT=dir sh cremad.sh SRC}
: "${OUT:?set OUT}" "${FPS_KEPT:=1}" "${VIDEO_FPS:=30}" "${LISTS:=}"
[ -d "$SRC/AudioWAV" ] && [ -d "$SRC/VideoFlash" ] || die "$SRC: no AudioWAV/ and VideoFlash/"
no_lfs_pointers "$SRC/AudioWAV"
no_lfs_pointers "$SRC/VideoFlash"
mkdir -p "$OUT/cremad/frames"
S=$((VIDEO_FPS / FPS_KEPT))
man="$OUT/cremad.manifest.tsv"
{
    printf '#@dataset\tcremad\n#@classes\tNEU\tHAP\tSAD\tFEA\tDIS\tANG\n#@root\t%s\n' "$(cd "$OUT" && pwd)"
    printf 'id\tlabel\tsplit:ogmge\tgroup:actor\tmeta:sentence\tmeta:level\taudio\tvisual:frames\n'
} >"$man.tmp"
splits="$OUT/cremad/splits.tsv"
: >"$splits"
if [ -n "$LISTS" ]; then   # id<TAB>part, CRLF and BOM tolerated
    bom=$(printf '\357\273\277')
    for part in train test; do
        [ -f "$LISTS/$part.csv" ] || die "$LISTS/$part.csv missing"
        tr -d '\r' <"$LISTS/$part.csv" | sed "1s/^$bom//" | awk -F, -v p="$part" 'NF >= 1 && $1 != "" { print $1 "\t" p }'
    done >"$splits"
fi
for wav in "$SRC"/AudioWAV/*.wav; do
    id=$(basename "$wav" .wav)
    flv="$SRC/VideoFlash/$id.flv"
    fr="$OUT/cremad/frames/$id"
    if [ -f "$flv" ] && [ -z "$(ls -A "$fr" 2>/dev/null)" ]; then
        mkdir -p "$fr"
        "$FFMPEG" -nostdin -loglevel error -i "$flv" -vf "select='not(mod(n\\,$S))'" -vsync vfr -q:v 2 "$fr/%05d.jpg" ||
            echo "cremad.sh: $flv: ffmpeg failed; the sample will be reported by asgml-prep" >&2
    fi
    printf '%s\n' "$id"
done | awk -F_ -v splits="$splits" -v src="$(cd "$SRC" && pwd)" '
    BEGIN { while ((getline l < splits) > 0) { split(l, a, "\t"); part[a[1]] = a[2] } }
    { id = $0; p = (id in part) ? part[id] : "-"
      printf "%s\t%s\t%s\t%s\t%s\t%s\t%s/AudioWAV/%s.wav\tcremad/frames/%s/*.jpg\n", id, $3, p, $1, $2, $4, src, id, id }' >>"$man.tmp"
mv "$man.tmp" "$man"
[ "$STAGE" = manifest ] && exit 0
exec "$ASGML_PREP" --preset ogmge-stft --seed "$SEED" $(jobs_opt) --skip-bad "$man" -o "$OUT/cremad.ogmge-stft.h5"
