#!/bin/sh
# SPDX-License-Identifier: MIT
# ave.sh - AVE (AVE_Dataset.zip: AVE/*.mp4 + Annotations.txt, and the split
# files trainSet.txt, valSet.txt, testSet.txt of Modal-Imbalance-PMR
# @3615e48 data/AVE/) into an asgml store (asgml-prep(1), DATA SETS, AVE;
# datasets.md 4).
#
# Usage: OUT=dir [LISTS=dir] [PRESET=fbank-ast] sh data-recipes/ave.sh SRC
#   SRC      directory holding AVE/ (the videos) and Annotations.txt
#   LISTS    directory with trainSet.txt valSet.txt testSet.txt (default SRC);
#            lines "Category&VideoID&Quality&StartTime&EndTime", no header;
#            checked against the SHA-256 sums of datasets.md 9 (SHA256_CHECK)
#   PRESET   fbank-ast (default, AF's audio: Kaldi fbank of the 16 kHz clip,
#            998 rows for 10 s, padded to 1,024 by the loader) or
#            ogmge-paper (the paper's scipy spectrogram of the whole clip
#            tiled to 10 s, PMR's z-score; the recipe adds --fit-seconds 10:
#            257 x 1,004; PMR's event-segment "SE" variant is not made)
#   DEFAULT_SPLIT  ave (default) or ogm: the scheme readers use unless
#            data.scheme names the other
#   MIN_FRAMES  FEW_FRAMES below this many frames (default 3, T of the
#            OGM/AF loaders)
#   plus OUT, ASGML_PREP, FFMPEG, FFPROBE, JOBS, SEED, STAGE, PRESENT_MIN,
#   SHA256_CHECK, KEEP_BAD (common.sh)
# Duplicates (datasets.md 4): one sample per split-file line; an id seen
# before gets the suffix #k (meta:dup = k); every line of a video listed
# with more than one category is flagged DUP_CONFLICT.  Two split schemes:
#   ave  every line in its file's part (3,339/402/402 samples);
#   ogm  OGM's loader: within each split file only the last line of a
#        video counts ("last wins"), the earlier ones are "-".
# Classes: the 28 categories sorted bytewise (OGM/AF order).  ffmpeg writes
# 1 fps frames and 16 kHz mono audio under OUT/ave/; missing videos are
# listed in OUT/ave/missing.txt and the run fails below PRESENT_MIN percent.
# Writes OUT/ave.manifest.tsv (id label split:ave split:ogm meta:video
# meta:dup:int meta:event_start:int meta:event_end:int flags video_seconds
# audio visual:frames), OUT/ave.PRESET.h5 and its .report.tsv.
. "$(dirname "$0")/common.sh"
SRC=${1:?usage: OUT=dir sh ave.sh SRC}
: "${OUT:?set OUT}" "${LISTS:=$SRC}" "${PRESET:=fbank-ast}" "${DEFAULT_SPLIT:=ave}" "${MIN_FRAMES:=3}"
case $PRESET in
    fbank-ast) FIT= ;;
    ogmge-paper) FIT="--fit-seconds 10" ;;   # the 10 s sets: (257, 1004)
    *) die "PRESET=$PRESET: fbank-ast or ogmge-paper" ;;
esac
case $DEFAULT_SPLIT in ave|ogm) ;; *) die "DEFAULT_SPLIT=$DEFAULT_SPLIT: ave or ogm" ;; esac
[ -d "$SRC/AVE" ] || die "$SRC/AVE: missing"
check_sha256 "$LISTS/trainSet.txt" 4f6c37aff56d4a3407f8beff47ca59dcefb8e94b3e02bbc34b0c89b5cdad6945 "PMR data/AVE/trainSet.txt"
check_sha256 "$LISTS/valSet.txt" 76c3c51b67aacbbacd5708e17aab491638a5e9032f786adad1a13be55d9cb3ca "PMR data/AVE/valSet.txt"
check_sha256 "$LISTS/testSet.txt" e73c25a509bb38a691c1e08064af66d0512554f2fbc883cddd6d2a51ede8449d "PMR data/AVE/testSet.txt"
mkdir -p "$OUT/ave"
lines="$OUT/ave/lines.tsv"
for part in train val test; do
    tr -d '\r' <"$LISTS/${part}Set.txt" | awk -F'&' -v p="$part" 'NF == 5 { print $2 "\t" $1 "\t" p "\t" $4 "\t" $5 }'
done >"$lines"
cut -f2 "$lines" | LC_ALL=C sort -u >"$OUT/ave/classes.txt"
: >"$OUT/ave/missing.txt"
man="$OUT/ave.manifest.tsv"
sp='split:ave	split:ogm'
[ "$DEFAULT_SPLIT" = ogm ] && sp='split:ogm	split:ave'
{
    printf '#@dataset\tave\n#@root\t%s\n' "$(cd "$OUT" && pwd)"
    printf 'id\tlabel\t%s\tmeta:video\tmeta:dup:int\tmeta:event_start:int\tmeta:event_end:int\tflags\tvideo_seconds\taudio\tvisual:frames\n' "$sp"
} >"$man.tmp"
while IFS='	' read -r vid cat part s e; do
    mp4="$SRC/AVE/$vid.mp4"
    if [ ! -f "$mp4" ]; then echo "$vid" >>"$OUT/ave/missing.txt"; continue; fi
    audio "$mp4" "$OUT/ave/audio/$vid.wav" 16000 || true
    frames "$mp4" "$OUT/ave/frames/$vid" 1 || true
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$vid" "$cat" "$part" "$s" "$e" "$(probe "$mp4" | cut -d' ' -f1)"
done <"$lines" >"$OUT/ave/present.tsv"
# pass 1: categories per video and the last line of each video in each file;
# pass 2: the rows
awk -F'\t' -v ogmfirst="$([ "$DEFAULT_SPLIT" = ogm ] && echo 1)" '
    NR == FNR { if (!(($1, $2) in seen)) { seen[$1, $2]; ncat[$1]++ } last[$1, $3] = FNR; next }
    { k = dup[$1]++; id = k ? $1 "#" k : $1
      ogm = last[$1, $3] == FNR ? $3 : "-"
      sp = ogmfirst ? ogm "\t" $3 : $3 "\t" ogm
      printf "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\tave/audio/%s.wav\tave/frames/%s/*.jpg\n", id, $2, sp, $1, k, $4, $5,
             (ncat[$1] > 1 ? "DUP_CONFLICT" : "-"), $6, $1, $1 }' "$OUT/ave/present.tsv" "$OUT/ave/present.tsv" >>"$man.tmp"
mv "$man.tmp" "$man"
present_check "$(wc -l <"$lines")" "$(( $(grep -vc '^#' "$man") - 1 ))"
[ "$STAGE" = manifest ] && exit 0
exec "$ASGML_PREP" --preset "$PRESET" $FIT --classes "$OUT/ave/classes.txt" --seed "$SEED" $(jobs_opt) --skip-bad $(keep_bad_opt) \
    --min-frames "$MIN_FRAMES" "$man" -o "$OUT/ave.$PRESET.h5"
