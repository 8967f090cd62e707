#!/bin/sh
# SPDX-License-Identifier: MIT
# h5-corrupt-chunk.sh - a store with a corrupt deflate chunk: asgml-train
# stops with exactly one line on stderr carrying HDF5's innermost message
# (before: ~20 lines of HDF5-DIAG from the loader thread, whose automatic
# error printing HDF5 keeps per thread, then our line).
. "$top_srcdir/tests/lib.sh"
prep=$(bin asgml-prep)
train=$(bin asgml-train)
fx=$(cd "$top_srcdir/tests/fixtures/dsp" && pwd)
t=$(tmpdir) || exit 1
trap 'rm -rf "$t"' EXIT
plan 3
printf 'id\tlabel\tsplit\taudio\tvisual\n' >"$t/m.tsv"
i=0
while [ $i -lt 64 ]; do
    sp=train; [ $i -lt 16 ] && sp=test
    lab=cat; [ $((i % 2)) -eq 0 ] && lab=dog
    printf 's%03d\t%s\t%s\t%s\t%s\n' $i $lab $sp "$fx/au_sine8k.wav" "$fx/png_grey8.png" >>"$t/m.tsv"
    i=$((i + 1))
done
"$prep" --audio-rate 8000 --fit-seconds 0.25 --n-fft 256 --hop 80 --image-size 28 \
    --no-wave --spec-deflate 1 -q -j 1 "$t/m.tsv" -o "$t/s.h5" 2>"$t/err"
check "a small deflated store" test -f "$t/s.h5"
# garbage over the middle half of the file: the spectrogram chunks
sz=$(wc -c <"$t/s.h5")
head -c $((sz / 2)) /dev/zero | tr '\000' 'x' >"$t/junk"
dd if="$t/junk" of="$t/s.h5" bs=1 seek=$((sz / 4)) conv=notrunc 2>/dev/null
"$train" --store "$t/s.h5" --epochs 1 --batch-size 16 --quiet --set model.width=4 \
    --out "$t/run" >/dev/null 2>"$t/err"; rc=$?
check "exit 1 (got $rc)" test $rc -eq 1
check "exactly one line on stderr, with HDF5's reason: $(head -c 300 "$t/err")" \
    sh -c "test \$(wc -l <'$t/err') -eq 1 && grep -q '^asgml-train: .*(HDF5: ' '$t/err'"
done_testing
