#!/bin/sh
# SPDX-License-Identifier: MIT
# prep-cli.sh - asgml-prep as a program: usage errors (exit 2), the
# documented error line "asgml-prep: MANIFEST:LINE: FILE: what" with exit 1
# and no output file for each broken input, --skip-bad/--max-bad, verify
# (and its failure on a damaged store), byte-identical output with
# SOURCE_DATE_EPOCH, and the interrupt path (no temporary file left).
. "$top_srcdir/tests/lib.sh"
prep=$(cd "$(dirname "$(bin asgml-prep)")" && pwd)/asgml-prep
fx=$(cd "$top_srcdir/tests/fixtures/dsp" && pwd)
t=$(tmpdir) || exit 1
trap 'rm -rf "$t"' EXIT
plan 29

mk() {   # mk FILE ROWS... : manifest with id label split audio visual
    f=$1; shift
    printf 'id\tlabel\tsplit\taudio\tvisual\n' >"$t/$f"
    for r in "$@"; do printf '%s\n' "$r" >>"$t/$f"; done
}
good="a	cat	train	$fx/au_pcm16.wav	$fx/png_grey8.png"
nfiles() { ls -A "$t/out" | wc -l; }
mkdir "$t/out"
common="--audio-rate 8000 --fit-seconds 0.25 --n-fft 256 --hop 80 --image-size 28 -q"

check_exit 0 "--help exits 0" "$prep" --help
check "--help documents --skip-bad" sh -c "'$prep' --help | grep -q -- --skip-bad"
check_exit 2 "no operand is a usage error" "$prep" -o "$t/out/x.h5"
check_exit 2 "unknown option" "$prep" --bogus
check_exit 2 "--jobs 0" "$prep" --jobs 0 m -o x
check_exit 2 "unknown preset" "$prep" --preset nope m -o x
check_exit 2 "--img-mismatch without --img-reserve" "$prep" --img-mismatch 0.5 m -o x
"$prep" --bogus 2>"$t/err" >/dev/null
check "usage error names --help" grep -q "^Try 'asgml-prep --help' for more information.$" "$t/err"

mk m.tsv "$good" "b	dog	test	$fx/au_float.wav	$fx/jpg_rgb.jpg"
check_exit 0 "a good manifest" "$prep" $common "$t/m.tsv" -o "$t/out/ok.h5"
check_exit 0 "verify accepts it" "$prep" verify "$t/out/ok.h5"
check_exit 1 "verify output to /dev/full fails" sh -c "'$prep' verify '$t/out/ok.h5' >/dev/full"
check "a good store comes with its per-sample report" test -f "$t/out/ok.h5.report.tsv"
rm -f "$t/out/ok.h5" "$t/out/ok.h5.report.tsv"

# one broken input per case: exit 1, the documented line, nothing written
i=0
for case in "broken_trunc.wav|truncated" "broken_empty.wav|empty audio" "missing.wav|" \
            "broken_trunc.png|" "broken_crc.png|corrupt PNG" "broken_trunc.jpg|corrupt or truncated JPEG"; do
    file=${case%%|*}; what=${case#*|}
    i=$((i + 1))
    case $file in
    *.wav) row="b	dog	test	$fx/$file	$fx/png_grey8.png" ;;
    *) row="b	dog	test	$fx/au_pcm16.wav	$fx/$file" ;;
    esac
    mk bad$i.tsv "$good" "$row"
    "$prep" $common "$t/bad$i.tsv" -o "$t/out/bad.h5" 2>"$t/err"
    st=$?
    if [ $st -eq 1 ] && grep -q "^asgml-prep: $t/bad$i.tsv:3: $fx/$file: $what" "$t/err" && [ "$(nfiles)" -eq 0 ]; then
        pass "$file: exit 1, MANIFEST:LINE: FILE: message, no output"
    else
        fail "$file: exit $st, $(nfiles) files, stderr: $(head -c 300 "$t/err")"
    fi
done
mk col.tsv "$good" "b	dog	test	$fx/au_pcm16.wav"
"$prep" $common "$t/col.tsv" -o "$t/out/bad.h5" 2>"$t/err"
check "wrong column count: line and count" grep -q "^asgml-prep: $t/col.tsv:3: 4 columns, the header has 5$" "$t/err"
mk dup.tsv "$good" "$good"
"$prep" $common "$t/dup.tsv" -o "$t/out/bad.h5" 2>"$t/err"
check "duplicate id" grep -q "^asgml-prep: $t/dup.tsv:3: duplicate id 'a' (first on line 2)$" "$t/err"
printf 'cat\n' >"$t/classes"
mk lab.tsv "$good" "b	cow	test	$fx/au_pcm16.wav	$fx/png_grey8.png"
"$prep" $common --classes "$t/classes" "$t/lab.tsv" -o "$t/out/bad.h5" 2>"$t/err"
check "unknown label" grep -q "^asgml-prep: $t/lab.tsv:3: unknown label 'cow'$" "$t/err"
check "no file left behind by any failure" test "$(nfiles)" -eq 0

# --skip-bad / --max-bad
mk skip.tsv "$good" "b	dog	test	$fx/broken_trunc.wav	$fx/png_grey8.png" \
    "c	dog	test	$fx/au_pcm24.wav	$fx/png_1bit.png" "d	cat	train	$fx/au_pcm16.wav	$fx/png_pal4_grey.png"
"$prep" $common --skip-bad --max-bad 0.3 "$t/skip.tsv" -o "$t/out/skip.h5" 2>"$t/err"
check "--skip-bad: exit 0 with 1 of 4 skipped" test $? -eq 0 -a -f "$t/out/skip.h5"
check "--skip-bad lists the skipped sample on stderr" grep -q "^asgml-prep: $t/skip.tsv:3: $fx/broken_trunc.wav: .*(skipped)$" "$t/err"
rm -f "$t/out/skip.h5" "$t/out/skip.h5.report.tsv"
"$prep" $common --skip-bad --max-bad 0.25 "$t/skip.tsv" -o "$t/out/skip.h5" 2>"$t/err"
check "--max-bad 0.25 with 25 % skipped: exit 1, no output" test $? -eq 1 -a "$(nfiles)" -eq 0

# reproducible bytes
SOURCE_DATE_EPOCH=1700000000 "$prep" $common "$t/m.tsv" -o "$t/out/r1.h5"
mkdir "$t/r2" "$t/r3"   # the command line is recorded: run the same one twice
(cd "$t/r2" && SOURCE_DATE_EPOCH=1700000000 "$prep" $common --jobs 1 ../m.tsv -o r.h5)
(cd "$t/r3" && SOURCE_DATE_EPOCH=1700000000 "$prep" $common --jobs 1 ../m.tsv -o r.h5)
check "same command, byte-identical store" cmp -s "$t/r2/r.h5" "$t/r3/r.h5"
a=$(h5dump -a content_sha256 "$t/out/r1.h5" 2>/dev/null | grep '(0)')
b=$(h5dump -a content_sha256 "$t/r2/r.h5" 2>/dev/null | grep '(0)')
check "content checksum independent of --jobs" test -n "$a" -a "$a" = "$b"

# a damaged store fails verify: uncompressed, mostly spectrogram bytes; the
# chunks go to the file as the samples are written (H5Dwrite_chunk), so the
# first sample's spectrogram (13 KB of 60 KB) lies after the first metadata,
# around a quarter of the file
"$prep" $common --spec-deflate 0 --no-wave "$t/m.tsv" -o "$t/out/d.h5"
size=$(wc -c <"$t/out/d.h5")
printf '\377\377\377\377\377\377\377\377' | dd of="$t/out/d.h5" bs=1 seek=$((size / 4)) conv=notrunc 2>/dev/null
check_exit 1 "verify rejects a damaged store" "$prep" verify "$t/out/d.h5"

# interrupted: SIGTERM while writing leaves no temporary file
rows=""
k=0
while [ $k -lt 300 ]; do rows="$rows
k$k	cat	train	$fx/au_pcm16.wav	$fx/png_grey8.png"; k=$((k + 1)); done
printf 'id\tlabel\tsplit\taudio\tvisual%s\n' "$rows" >"$t/big.tsv"
mkdir "$t/int"
"$prep" $common --fit-seconds 30 "$t/big.tsv" -o "$t/int/big.h5" 2>/dev/null &
pid=$!
sleep 1
kill -TERM $pid 2>/dev/null
wait $pid 2>/dev/null
check "SIGTERM leaves no temporary file" test "$(ls -A "$t/int" | wc -l)" -eq 0
done_testing
