#!/bin/sh
# SPDX-License-Identifier: MIT
# prep-special-files.sh - asgml-prep refuses anything but a regular file as
# a media path, at once: a FIFO as audio or image (open() used to block
# forever) and /dev/zero as an image (read for 18 s before "too large"):
# exit 1 and "asgml-prep: MANIFEST:LINE: PATH: not a regular file".
# Each run has a time limit, so a regression fails instead of hanging.
. "$top_srcdir/tests/lib.sh"
command -v mkfifo >/dev/null 2>&1 || skip_all "no mkfifo"
command -v timeout >/dev/null 2>&1 || skip_all "no timeout(1)"
prep=$(bin asgml-prep)
fx=$(cd "$top_srcdir/tests/fixtures/dsp" && pwd)
t=$(tmpdir) || exit 1
trap 'rm -rf "$t"' EXIT
plan 9
mkfifo "$t/fifo.wav" "$t/fifo.png"
common="--audio-rate 8000 --fit-seconds 0.25 --n-fft 256 --hop 80 --image-size 28 -q -j 1"
good="a	cat	train	$fx/au_pcm16.wav	$fx/png_grey8.png"
for case in "$t/fifo.wav|$fx/png_grey8.png|$t/fifo.wav" "$fx/au_pcm16.wav|$t/fifo.png|$t/fifo.png" \
            "$fx/au_pcm16.wav|/dev/zero|/dev/zero"; do
    au=${case%%|*}; rest=${case#*|}; im=${rest%%|*}; bad=${rest#*|}
    printf 'id\tlabel\tsplit\taudio\tvisual\n%s\nb\tdog\ttest\t%s\t%s\n' "$good" "$au" "$im" >"$t/m.tsv"
    timeout 10 "$prep" $common "$t/m.tsv" -o "$t/s.h5" 2>"$t/err"
    rc=$?
    check "$bad: exit 1 (not 124: hung)" test $rc -eq 1
    check "$bad: the documented line" grep -qx "asgml-prep: $t/m.tsv:3: $bad: not a regular file" "$t/err"
    check "$bad: no store" test ! -e "$t/s.h5"
done
done_testing
