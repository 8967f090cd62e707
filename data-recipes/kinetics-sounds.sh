#!/bin/sh
# SPDX-License-Identifier: MIT
# kinetics-sounds.sh - Kinetics-Sounds, 31 classes (asgml-prep(1), DATA SETS,
# Kinetics-Sounds; datasets.md 3), from clips downloaded as
# {split}/{class}/{YTID}_{start}_{end}.mp4 (AF layout; class folders with
# spaces or underscores) into an asgml store.
#
# Usage: OUT=dir [LISTS=dir] [PRESET=fbank-ast] sh data-recipes/kinetics-sounds.sh SRC
#   SRC      directory with train/, val/ (optional) and test/ holding the
#            class folders -> split scheme ks (the folders' parts)
#   LISTS    optional: OGM-GE @343dc1d data/KineticSound/my_train.txt and
#            my_test.txt ("id,10,label"; train ids YTID_SSSSSS_EEEEEE, test
#            ids YTID_S) -> split scheme ogm (a clip in neither list: "-");
#            checked against the SHA-256 sums of datasets.md 9
#   PRESET   fbank-ast (default; BB/OGM: Kaldi fbank of the 16 kHz clip,
#            998 rows for 10 s, padded to 1,024 by the loader), af-mel
#            (AF: librosa mel of the whole clip, dB, min-max, 128 x 128) or
#            ogmge-paper (the paper's scipy spectrogram, z-scored; the
#            recipe adds --fit-seconds 10: 257 x 1,004) (datasets.md 3)
#   MIN_FRAMES  FEW_FRAMES below this many frames (default 3, the loaders' T)
#   plus OUT, ASGML_PREP, FFMPEG, FFPROBE, JOBS, SEED, STAGE, SHA256_CHECK,
#   KEEP_BAD (common.sh)
# Ids are "{YTID}_{start}" where YTID is the first 11 characters (YouTube ids
# contain '_' and '-').  Classes in the BML order (KS.json); a class folder
# not among the 31 is an error.  ffmpeg writes 1 fps frames and 16 kHz mono
# audio under OUT/ks/.  Writes OUT/ks.manifest.tsv (id label split:ks
# [split:ogm] meta:youtube_id video_seconds audio visual:frames),
# OUT/ks.PRESET.h5 and its .report.tsv.
. "$(dirname "$0")/common.sh"
SRC=${1:?usage: OUT=dir sh kinetics-sounds.sh SRC}
: "${OUT:?set OUT}" "${LISTS:=}" "${PRESET:=fbank-ast}" "${MIN_FRAMES:=3}"
case $PRESET in
    fbank-ast|af-mel) FIT= ;;
    ogmge-paper) FIT="--fit-seconds 10" ;;   # the 10 s sets: (257, 1004)
    *) die "PRESET=$PRESET: fbank-ast, af-mel or ogmge-paper" ;;
esac
mkdir -p "$OUT/ks"
ogm="$OUT/ks/ogm.tsv"   # id<TAB>part from OGM's lists, ids normalised to YTID_S
: >"$ogm"
if [ -n "$LISTS" ]; then
    check_sha256 "$LISTS/my_train.txt" e75bb596c30bf839adb3c2dc73b4a4617add66b36c2f416f96ac2e56a251751f "OGM data/KineticSound/my_train.txt"
    check_sha256 "$LISTS/my_test.txt" 3bb1fee2c9d30919cec6887a3e2fa27b7936cc3f46dff447d85ea21892a80a58 "OGM data/KineticSound/my_test.txt"
    for part in train test; do
        tr -d '\r' <"$LISTS/my_$part.txt" | awk -F, -v p="$part" 'length($1) > 12 {
            rest = substr($1, 13); sub(/_.*/, "", rest); print substr($1, 1, 11) "_" (rest + 0) "\t" p }'
    done >"$ogm"
fi
CLASSES="blowing_nose blowing_out_candles bowling chopping_wood dribbling_basketball laughing
mowing_lawn playing_accordion playing_bagpipes playing_bass_guitar playing_clarinet playing_drums
playing_guitar playing_harmonica playing_keyboard playing_organ playing_piano playing_saxophone
playing_trombone playing_trumpet playing_violin playing_xylophone ripping_paper shoveling_snow
shuffling_cards singing stomping_grapes tap_dancing tapping_guitar tapping_pen tickling"
man="$OUT/ks.manifest.tsv"
{
    printf '#@dataset\tkinetics-sounds\n#@classes'
    for c in $CLASSES; do printf '\t%s' "$c"; done
    printf '\n#@root\t%s\n' "$(cd "$OUT" && pwd)"
    printf 'id\tlabel\tsplit:ks%s\tmeta:youtube_id\tvideo_seconds\taudio\tvisual:frames\n' "${LISTS:+	split:ogm}"
} >"$man.tmp"
n=0
for part in train val test; do
    [ -d "$SRC/$part" ] || continue
    for dir in "$SRC/$part"/*/; do
        [ -d "$dir" ] || continue
        cls=$(basename "$dir" | tr ' ' '_')
        case " $(echo $CLASSES) " in *" $cls "*) ;; *) die "$dir: not one of the 31 Kinetics-Sounds classes" ;; esac
        for mp4 in "$dir"*.mp4; do
            [ -f "$mp4" ] || continue
            base=$(basename "$mp4" .mp4)
            yt=$(printf '%s' "$base" | cut -c1-11)
            rest=$(printf '%s' "$base" | cut -c13-)
            start=${rest%%_*}
            start=$(printf '%s' "$start" | sed 's/^0*\([0-9]\)/\1/')   # 000012 -> 12
            id="${yt}_$start"
            audio "$mp4" "$OUT/ks/audio/$id.wav" 16000 || true
            frames "$mp4" "$OUT/ks/frames/$id" 1 || true
            sp=$part
            [ -z "$LISTS" ] || sp="$part	$(awk -F'\t' -v id="$id" '$1 == id { p = $2 } END { print p == "" ? "-" : p }' "$ogm")"
            printf '%s\t%s\t%s\t%s\t%s\tks/audio/%s.wav\tks/frames/%s/*.jpg\n' "$id" "$cls" "$sp" "$yt" \
                "$(probe "$mp4" | cut -d' ' -f1)" "$id" "$id" >>"$man.tmp"
            n=$((n + 1))
        done
    done
done
[ "$n" -gt 0 ] || die "$SRC: no {split}/{class}/*.mp4"
mv "$man.tmp" "$man"
[ "$STAGE" = manifest ] && exit 0
exec "$ASGML_PREP" --preset "$PRESET" $FIT --seed "$SEED" $(jobs_opt) --skip-bad $(keep_bad_opt) --min-frames "$MIN_FRAMES" \
    "$man" -o "$OUT/ks.$PRESET.h5"
