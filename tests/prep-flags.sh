#!/bin/sh
# SPDX-License-Identifier: MIT
# prep-flags.sh - the status flags asgml-prep sets and the per-sample report
# (datasets.md 7.6, 10): the manifest's flags column (KNOWN_BAD,
# DUP_CONFLICT), FEW_FRAMES (--min-frames), AV_DURATION_MISMATCH (the
# video_seconds column against the decoded audio, --av-tolerance),
# --keep-bad (undecodable or missing media kept with zeros and
# AUDIO_/VIDEO_MISSING or _DECODE_ERROR; statistics leave them out),
# STORE.report.tsv (one line per row, skipped rows too, written through a
# temporary file), per-modality --seq-len and --audio-window (the wave is
# the sample dataset, with the window attributes).
. "$top_srcdir/tests/lib.sh"
prep=$(cd "$(dirname "$(bin asgml-prep)")" && pwd)/asgml-prep
fx=$(cd "$top_srcdir/tests/fixtures/dsp" && pwd)
t=$(tmpdir) || exit 1
trap 'rm -rf "$t"' EXIT
command -v h5dump >/dev/null 2>&1 || skip_all "h5dump not installed"
plan 24

mkdir -p "$t/fr/a" "$t/fr/b" "$t/fr/c"
cp "$fx/jpg_rgb.jpg" "$t/fr/a/00001.jpg"; cp "$fx/jpg_444.jpg" "$t/fr/a/00002.jpg"
cp "$fx/jpg_rgb.jpg" "$t/fr/b/00001.jpg"
cp "$fx/jpg_rgb.jpg" "$t/fr/c/00001.jpg"; cp "$fx/broken_garbage.jpg" "$t/fr/c/00002.jpg"
m="$t/m.tsv"
{
    printf 'id\tlabel\tsplit\tflags\tnote\tvideo_seconds\taudio\tvisual:frames\n'
    printf 'a\tx\ttrain\tKNOWN_BAD\tlisted upstream\t0.3\t%s\tfr/a/*.jpg\n' "$fx/au_pcm16.wav"
    printf 'b\ty\ttrain\t-\t-\t9.5\t%s\tfr/b/*.jpg\n' "$fx/au_pcm16.wav"
    printf 'c\tx\ttest\tDUP_CONFLICT\t-\t-\t%s\tfr/c/*.jpg\n' "$fx/broken_garbage.wav"
    printf 'd\ty\ttest\t0x800\t-\t-\t%s\tfr/none/*.jpg\n' "$t/nonexistent.wav"
} >"$m"
common="-q --audio-rate 8000 --fit-seconds 0.25 --image-size 16 --image-channels 3"
status() { h5dump -d /meta/status "$1" | sed -n 's/.*(0): //p'; }

check_exit 1 "without --keep-bad an undecodable clip stops the run" "$prep" $common "$m" -o "$t/x.h5"
check "... and leaves neither store nor report" test ! -e "$t/x.h5" -a ! -e "$t/x.h5.report.tsv"
check_exit 0 "--keep-bad --min-frames 2" "$prep" $common --keep-bad --min-frames 2 "$m" -o "$t/k.h5"
# a: KNOWN_BAD|TILED|CLIPPED 0x418; b: FEW_FRAMES|AV_DURATION_MISMATCH|TILED|CLIPPED 0x318;
# c: DUP_CONFLICT|AUDIO_DECODE_ERROR|VIDEO_DECODE_ERROR|FEW_FRAMES 0x982;
# d: DUP_CONFLICT (0x800 given as a number)|AUDIO_MISSING|VIDEO_MISSING|FEW_FRAMES 0x941
check "/meta/status: flags column, FEW_FRAMES, AV_DURATION_MISMATCH, MISSING, DECODE_ERROR" \
    test "$(status "$t/k.h5")" = "1048, 792, 2434, 2369"
check "kept-bad samples hold one zero frame each (frame_offset 0 2 3 4 5)" \
    sh -c "h5dump -d /visual/frame_offset '$t/k.h5' | grep -q '(0): 0, 2, 3, 4, 5'"
check "an undecodable clip's spectrogram is that of silence, ln(1e-7)" \
    sh -c "h5dump -d /audio/spec -s '2,0,0' -c '1,1,3' '$t/k.h5' | grep -q -- '-16.1181, -16.1181, -16.1181'"
check "... and its wave is zeros" sh -c "h5dump -d /audio/wave -s '3,0' -c '1,4' '$t/k.h5' | grep -q '(3,0): 0, 0, 0, 0'"
r="$t/k.h5.report.tsv"
check "report: header and one line per row" \
    sh -c "head -1 '$r' | grep -qx 'id	status	flags	audio_seconds	frames	what	note' && test \$(wc -l <'$r') -eq 5"
check "report: flag names, audio seconds, frames, note" \
    grep -qx 'a	0x0418	AUDIO_CLIPPED_INPUT,AUDIO_TILED,KNOWN_BAD	0.125	2	stored	listed upstream' "$r"
check "report: AV_DURATION_MISMATCH and FEW_FRAMES on b" \
    grep -q '^b	0x0318	AUDIO_CLIPPED_INPUT,AUDIO_TILED,FEW_FRAMES,AV_DURATION_MISMATCH	0.125	1	stored	-$' "$r"
check "report: what happened to a kept-bad sample, per modality" \
    grep -q "^c	0x0982	.*	-	1	stored with zeros: audio: $fx/broken_garbage.wav: .*; visual: $t/fr/c/00002.jpg: " "$r"
check "report: missing media" grep -q '^d	0x0941	AUDIO_MISSING,VIDEO_MISSING,FEW_FRAMES,DUP_CONFLICT	' "$r"
check "no temporary report file is left" sh -c "! ls -a '$t' | grep -q '^\.k\.h5\.report'"
check "train statistics leave kept-bad samples out (frames count: 3 frames of a and b)" \
    sh -c "h5dump -a /stats/visual/mean/count '$t/k.h5' | grep -q '(0): 768'"
check_exit 0 "--keep-bad store verifies" "$prep" verify "$t/k.h5"

check_exit 0 "--skip-bad without --keep-bad" "$prep" $common --skip-bad --max-bad 0.9 "$m" -o "$t/s.h5"
check "report lists the skipped rows" \
    sh -c "grep -q '^c	.*	skipped: $m:4: ' '$t/s.h5.report.tsv' && grep -q '^d	.*	skipped: ' '$t/s.h5.report.tsv'"
check_exit 0 "--av-tolerance 10 clears AV_DURATION_MISMATCH" "$prep" $common --keep-bad --av-tolerance 10 "$m" -o "$t/v.h5"
check "... b is 0x18" test "$(status "$t/v.h5" | cut -d, -f2 | tr -d ' ')" = 24

printf 'id\tlabel\tflags\taudio\n' >"$t/bad.tsv"
printf 'a\tx\tKNOWN_BADD\t%s\n' "$fx/au_pcm16.wav" >>"$t/bad.tsv"
"$prep" $common "$t/bad.tsv" -o "$t/b.h5" 2>"$t/err"
check "an unknown flag name is an error naming the line and the word" \
    grep -q "bad.tsv:2: column flags: 'KNOWN_BADD' is not a status flag name" "$t/err"

# per-modality sequence lengths (MOSI: text 50, audio 375, vision 500)
head -c $((3 * 4 * 4)) /dev/zero >"$t/t.f32"; head -c $((5 * 2 * 4)) /dev/zero >"$t/u.f32"
printf 'id\tlabel\ttext:seq\taudio:seq\nq\tx\t%s\t%s\n' "$t/t.f32" "$t/u.f32" >"$t/seq.tsv"
check_exit 0 "--seq-len text=2,audio=6 --seq-dim text=4,audio=2" \
    "$prep" -q --seq-dim text=4,audio=2 --seq-len text=2,audio=6 "$t/seq.tsv" -o "$t/q.h5"
check "/text/seq (1, 2, 4) and /audio/seq (1, 6, 2)" \
    sh -c "h5dump -H '$t/q.h5' | grep -q '( 1, 2, 4 )' && h5dump -H '$t/q.h5' | grep -q '( 1, 6, 2 )'"

# --audio-window: the fitted wave is the sample; no spectrogram
printf 'id\tlabel\taudio\nw\tx\t%s\n' "$fx/au_pcm16.wav" >"$t/w.tsv"
check_exit 0 "--audio-window 0.125 of --fit-seconds 0.25" \
    "$prep" -q --audio-rate 8000 --fit-seconds 0.25 --audio-window 0.125 --n-fft 64 --hop 32 "$t/w.tsv" -o "$t/w.h5"
check "sample_dataset wave (1, 2000) int16, window 1000 at 500, 32 frames, no /audio/spec" \
    sh -c "h5dump -a /audio/sample_dataset '$t/w.h5' | grep -q '\"wave\"' && h5dump -H -d /audio/wave '$t/w.h5' | grep -q '( 1, 2000 )' &&
           h5dump -a /audio/wave/window_length '$t/w.h5' | grep -q '(0): 1000' && h5dump -a /audio/wave/window_test_start '$t/w.h5' | grep -q '(0): 500' &&
           h5dump -a /audio/wave/frames '$t/w.h5' | grep -q '(0): 32' && ! h5dump -H -d /audio/spec '$t/w.h5' >/dev/null 2>&1"
done_testing
