#!/bin/sh
# SPDX-License-Identifier: MIT
# cremad.sh - CREMA-D (git-lfs clone of CheyneyComputerScience/CREMA-D) into
# an asgml store (asgml-prep(1), DATA SETS, CREMA-D; datasets.md 2).
#
# Usage: OUT=dir LISTS=dir [DR_LISTS=dir] [PRESET=ogmge-stft] [FPS_KEPT=1]
#        sh data-recipes/cremad.sh SRC
#   SRC        the clone: AudioWAV/*.wav, VideoFlash/*.flv
#   LISTS      OGM-GE @343dc1d data/CREMAD/: train.csv, test.csv ("id,EMO",
#              CRLF, no header) -> split scheme ogmge (the default scheme);
#              stat.csv is checked too when present.  Without LISTS every
#              sample has split "-" (a store for inspection only).
#   DR_LISTS   Diagnosing_Relearning_ECCV2024 @025085e code/dataset/cremad/:
#              my_train.csv, val.csv, test.csv -> split scheme dr (train
#              5,954 / val 744 / test 744; the D&R method trains on
#              my_train, diagnoses on val; its baseline uses ogmge)
#   KNOWN_BAD  "id<TAB>flags<TAB>note" lines (default
#              data-recipes/cremad-known-bad.tsv: the four clips the CREMA
#              README documents as defective, flagged KNOWN_BAD, the silent
#              one also AUDIO_SILENT); they stay in the store, flagged
#   PRESET     ogmge-stft (default; OGM's loader: 22,050 Hz, 3 s tiled,
#              (257, 188)) or fbank-ast (Kaldi fbank, unpadded rows)
#   FPS_KEPT   frames kept per second K (default 1; 3 for AF's 3-frame runs)
#              by the OGM rule: F = int(average frame rate), S = F div K,
#              frame n kept when (n mod F) < K*S and (n mod F) mod S = 0
#   VIDEO_FPS  F for every clip (default: each FLV's own, from ffprobe)
#   MIN_FRAMES FEW_FRAMES below this many frames (default 2, the DR/MMP
#              loaders' T)
#   STORE      the store to write (default OUT/cremad.PRESET.h5, with
#              FPS_KEPT K > 1 OUT/cremad.PRESET.fpsK.h5)
#   plus OUT, ASGML_PREP, FFMPEG, FFPROBE, JOBS, SEED, STAGE, SHA256_CHECK,
#   KEEP_BAD (data-recipes/common.sh)
# List files are checked against the SHA-256 sums of datasets.md 9; a
# mismatch stops with one line naming the file and exit status 1.
# Writes: OUT/cremad/frames-fpsK/<id>/NNNNN.jpg (ffmpeg, once per clip),
#   OUT/cremad.manifest.tsv (columns id label split:ogmge [split:dr]
#   group:actor meta:sentence meta:level flags note video_seconds audio
#   visual:frames; labels in OGM order NEU HAP SAD FEA DIS ANG),
#   STORE and STORE.report.tsv.
# Fails with a message naming git-lfs when the media are LFS pointer stubs.
. "$(dirname "$0")/common.sh"
SRC=${1:?usage: OUT=dir LISTS=dir sh cremad.sh SRC}
: "${OUT:?set OUT}" "${FPS_KEPT:=1}" "${VIDEO_FPS:=}" "${LISTS:=}" "${DR_LISTS:=}" "${MIN_FRAMES:=2}"
: "${PRESET:=ogmge-stft}" "${KNOWN_BAD:=$(dirname "$0")/cremad-known-bad.tsv}"
if [ "$FPS_KEPT" = 1 ]; then : "${STORE:=$OUT/cremad.$PRESET.h5}"; else : "${STORE:=$OUT/cremad.$PRESET.fps$FPS_KEPT.h5}"; fi
case $FPS_KEPT in ''|*[!0-9]*|0) die "FPS_KEPT=$FPS_KEPT: a positive integer" ;; esac
case $PRESET in ogmge-stft|fbank-ast) ;; *) die "PRESET=$PRESET: ogmge-stft or fbank-ast" ;; esac
[ -d "$SRC/AudioWAV" ] && [ -d "$SRC/VideoFlash" ] || die "$SRC: no AudioWAV/ and VideoFlash/"
no_lfs_pointers "$SRC/AudioWAV"
no_lfs_pointers "$SRC/VideoFlash"
nwav=$(ls "$SRC/AudioWAV" | grep -c '\.wav$')
[ "$nwav" -eq 7442 ] || echo "cremad.sh: $nwav clips in AudioWAV/ (the data set has 7,442)" >&2
[ -f "$KNOWN_BAD" ] || die "$KNOWN_BAD: missing (KNOWN_BAD)"
frames="cremad/frames-fps$FPS_KEPT"
mkdir -p "$OUT/$frames"
bom=$(printf '\357\273\277')
# lists FILE PART: "id<TAB>PART" per data line (BOM, CR and a header row skipped)
lists() { tr -d '\r' <"$1" | sed "1s/^$bom//" | awk -F, -v p="$2" '$1 ~ /^[0-9][0-9][0-9][0-9]_[A-Z][A-Z][A-Z]_[A-Z][A-Z][A-Z]_[A-Z][A-Z]$/ { print $1 "\t" p }'; }
splits="$OUT/cremad/splits.tsv"
: >"$splits"
cols='split:ogmge'
if [ -n "$LISTS" ]; then
    check_sha256 "$LISTS/train.csv" 68d0d3fd253830328fc92c68f3cf2e215db8c5b86757ad9c5112d2c76ba68bde "OGM data/CREMAD/train.csv"
    check_sha256 "$LISTS/test.csv" 14866c99301fd56fb4a16f8a7048a8a6372a47069aee9f216443bc718be45f1f "OGM data/CREMAD/test.csv"
    [ ! -f "$LISTS/stat.csv" ] ||
        check_sha256 "$LISTS/stat.csv" 827044c2e7dae878abf30db1a789dcedac2ae260df34d62e6c28c9f8ed82546c "OGM data/CREMAD/stat.csv"
    { lists "$LISTS/train.csv" train; lists "$LISTS/test.csv" test; } | sed 's/^/ogmge\t/' >>"$splits"
fi
if [ -n "$DR_LISTS" ]; then
    check_sha256 "$DR_LISTS/my_train.csv" eaf4d9332c743a8e0a0538e53f15f86552fb961858a8347588f6ffc09071b232 "DR code/dataset/cremad/my_train.csv"
    check_sha256 "$DR_LISTS/val.csv" ecbd82453caca8a7126df010d67b33813387af3cbe32efe5eb5a94ed2d161291 "DR code/dataset/cremad/val.csv"
    check_sha256 "$DR_LISTS/test.csv" 151a82135f59d5714afc50b9c9ce76bad34e619786f3915dc6de1578752f026d "DR code/dataset/cremad/test.csv"
    { lists "$DR_LISTS/my_train.csv" train; lists "$DR_LISTS/val.csv" val; lists "$DR_LISTS/test.csv" test; } |
        sed 's/^/dr\t/' >>"$splits"
    cols="$cols	split:dr"
fi
man="$OUT/cremad.manifest.tsv"
{
    printf '#@dataset\tcremad\n#@classes\tNEU\tHAP\tSAD\tFEA\tDIS\tANG\n#@root\t%s\n' "$(cd "$OUT" && pwd)"
    printf 'id\tlabel\t%s\tgroup:actor\tmeta:sentence\tmeta:level\tflags\tnote\tvideo_seconds\taudio\tvisual:frames\n' "$cols"
} >"$man.tmp"
for wav in "$SRC"/AudioWAV/*.wav; do
    id=$(basename "$wav" .wav)
    flv="$SRC/VideoFlash/$id.flv"
    fr="$OUT/$frames/$id"
    secs=-
    if [ -f "$flv" ]; then
        set -- $(probe "$flv")
        secs=$1
        F=${VIDEO_FPS:-$2}
        if [ -z "$(ls -A "$fr" 2>/dev/null)" ]; then
            mkdir -p "$fr"
            if [ "$F" = - ] || [ "$F" -lt "$FPS_KEPT" ]; then
                echo "cremad.sh: $flv: no usable frame rate ($F); the sample will be flagged by asgml-prep" >&2
            else
                S=$((F / FPS_KEPT))
                "$FFMPEG" -nostdin -loglevel error -i "$flv" \
                    -vf "select='lt(mod(n\\,$F)\\,$((FPS_KEPT * S)))*not(mod(mod(n\\,$F)\\,$S))'" \
                    -vsync vfr -q:v 2 "$fr/%05d.jpg" ||
                    echo "cremad.sh: $flv: ffmpeg failed; the sample will be flagged by asgml-prep" >&2
            fi
        fi
    fi
    printf '%s\t%s\n' "$id" "$secs"
done | awk -F'\t' -v splits="$splits" -v bad="$KNOWN_BAD" -v src="$(cd "$SRC" && pwd)" -v dr="$DR_LISTS" -v frames="$frames" '
    BEGIN {
        while ((getline l < splits) > 0) { split(l, a, "\t"); part[a[1], a[2]] = a[3] }
        while ((getline l < bad) > 0) {
            if (l ~ /^#/ || l == "") continue
            split(l, a, "\t"); flags[a[1]] = a[2]; note[a[1]] = a[3]
        }
    }
    { id = $1; split(id, f, "_")
      p = ((("ogmge", id) in part)) ? part["ogmge", id] : "-"
      s = p; if (dr != "") s = s "\t" (((("dr", id) in part)) ? part["dr", id] : "-")
      printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s/AudioWAV/%s.wav\t%s/%s/*.jpg\n", id, f[3], s, f[1], f[2], f[4],
             (id in flags) ? flags[id] : "-", (id in note) ? note[id] : "-", $2, src, id, frames, id }' >>"$man.tmp"
mv "$man.tmp" "$man"
[ "$STAGE" = manifest ] && exit 0
exec "$ASGML_PREP" --preset "$PRESET" --seed "$SEED" $(jobs_opt) --skip-bad $(keep_bad_opt) --min-frames "$MIN_FRAMES" \
    "$man" -o "$STORE"
