#!/bin/sh
# SPDX-License-Identifier: MIT
# kinetics-sounds.sh - Kinetics-Sounds, 31 classes (asgml-prep(1), DATA SETS, Kinetics-Sounds), from
# clips downloaded as {split}/{class}/{YTID}_{start}_{end}.mp4 (AF layout;
# class folders with spaces or underscores) into an asgml store.
#
# Usage: OUT=dir sh data-recipes/kinetics-sounds.sh SRC
#   SRC      directory with train/, val/ (optional) and test/ holding the
#            class folders
#   plus OUT, ASGML_PREP, FFMPEG, JOBS, SEED, STAGE (common.sh)
# Ids are "{YTID}_{start}" where YTID is the first 11 characters (YouTube ids
# contain '_' and '-').  Classes in the BML order (KS.json); a class folder
# not among the 31 is an error.  ffmpeg writes 1 fps frames and 16 kHz mono
# audio under OUT/ks/.  Writes OUT/ks.manifest.tsv (id label split:ks
# meta:youtube_id audio visual:frames) and OUT/ks.h5 (10 s tiled, STFT
# 512/160, RGB frames short side 224).
. "$(dirname "$0")/common.sh"
SRC=${1:?usage: OUT=dir sh kinetics-sounds.sh SRC}
: "${OUT:?set OUT}"
mkdir -p "$OUT/ks"
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
    printf 'id\tlabel\tsplit:ks\tmeta:youtube_id\taudio\tvisual:frames\n'
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
            printf '%s\t%s\t%s\t%s\tks/audio/%s.wav\tks/frames/%s/*.jpg\n' "$id" "$cls" "$part" "$yt" "$id" "$id" >>"$man.tmp"
            n=$((n + 1))
        done
    done
done
[ "$n" -gt 0 ] || die "$SRC: no {split}/{class}/*.mp4"
mv "$man.tmp" "$man"
[ "$STAGE" = manifest ] && exit 0
exec "$ASGML_PREP" --audio-rate 16000 --fit-seconds 10 --n-fft 512 --hop 160 --image-channels 3 \
    --short-side 224 --seed "$SEED" $(jobs_opt) --skip-bad "$man" -o "$OUT/ks.h5"
