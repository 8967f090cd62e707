#!/bin/sh
# SPDX-License-Identifier: MIT
# disk-full.sh - a full disk gives one error line, exit 1 and nothing
# half-written, never a crash: asgml-prep writing its store and
# asgml-train writing its run directory (checkpoints) onto a small tmpfs.
# HDF5 1.10 keeps the id of a file whose close failed and reads freed
# memory at exit (SIGSEGV); core/h5util.c closes such files on a memory
# file instead.  Needs root (mount); skipped otherwise.
. "$top_srcdir/tests/lib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "not root: cannot mount a small tmpfs"
prep=$(bin asgml-prep)
train=$(bin asgml-train)
mkstore="$top_builddir/tests/probe-mkstore"
fx=$(cd "$top_srcdir/tests/fixtures/dsp" && pwd)
t=$(tmpdir) || exit 1
mnt="$t/mnt"
mkdir "$mnt"
trap 'umount "$mnt" 2>/dev/null; rm -rf "$t"' EXIT
mount -t tmpfs -o size=64k tmpfs "$mnt" 2>/dev/null || skip_all "cannot mount a tmpfs here"
umount "$mnt"
plan 11

# fill DIR [KEEP_KIB]: fills the tmpfs until only about KEEP_KIB KiB are free
fill() {
    dd if=/dev/zero of="$1/fill" bs=1k count=100000 2>/dev/null
    [ -z "$2" ] || truncate -s "-$2K" "$1/fill"
}
tmpfiles() { find "$mnt" -name '.*.??????' -o -name '*.tmp' | wc -l; }
# the checks of one failure: exit 1, one line, no temporary file left
judge() {   # judge WHAT WANT_REGEX
    if [ $rc -eq 1 ]; then pass "$1: exit 1"; else fail "$1: exit $rc (139: SIGSEGV)"; fi
    if [ "$(wc -l <"$t/err")" -eq 1 ] && grep -q "$2" "$t/err"; then
        pass "$1: one error line"
    else
        fail "$1: stderr: $(head -c 400 "$t/err")"
    fi
    check "$1: no temporary file left" test "$(tmpfiles)" -eq 0
}

# asgml-prep: 200 rows of ~10 KiB of spectrogram into 64 KiB
printf 'id\tlabel\tsplit\taudio\tvisual\n' >"$t/m.tsv"
i=0
while [ $i -lt 200 ]; do
    printf 's%03d\tcat\ttrain\t%s\t%s\n' $i "$fx/au_pcm16.wav" "$fx/png_grey8.png" >>"$t/m.tsv"
    i=$((i + 1))
done
common="--audio-rate 8000 --fit-seconds 0.25 --n-fft 256 --hop 80 --image-size 28 --spec-deflate 0 -q -j 1"
mount -t tmpfs -o size=64k tmpfs "$mnt"
"$prep" $common "$t/m.tsv" -o "$mnt/s.h5" 2>"$t/err"; rc=$?
judge "asgml-prep, 64 KiB tmpfs" "^asgml-prep: .*No space left on device\|^asgml-prep: .*cannot write"
check "asgml-prep: no store written" test ! -e "$mnt/s.h5"
umount "$mnt"

# asgml-train: --out on a 16 KiB tmpfs, then with 8 KiB free
"$mkstore" "$t/tiny.h5" 64 >/dev/null 2>&1
base="--store $t/tiny.h5 --epochs 2 --batch-size 16 --quiet --set model.width=4"
mount -t tmpfs -o size=16k tmpfs "$mnt"
"$train" $base --out "$mnt/run" 2>"$t/err"; rc=$?
judge "asgml-train, 16 KiB tmpfs" "^asgml-train: "
umount "$mnt"
mount -t tmpfs -o size=64k tmpfs "$mnt"
fill "$mnt" 8
"$train" $base --out "$mnt/run" 2>"$t/err"; rc=$?
judge "asgml-train, 8 KiB free" "^asgml-train: "
check "asgml-train: no checkpoint written" test ! -e "$mnt/run/ckpt/last.h5"
umount "$mnt"
done_testing
