#!/bin/sh
# SPDX-License-Identifier: MIT
# prep-jobs-identical.sh - issue 14: the store asgml-prep writes is
# byte-identical whatever --jobs is (and with or without --quiet): the
# samples are written in manifest order, and the recorded command line
# leaves out the options that do not change the store.  Before, the
# stores of --jobs 1 and --jobs 2 differed in /command_line.
. "$top_srcdir/tests/lib.sh"
prep=$(cd "$top_builddir/tools" && pwd)/asgml-prep   # absolute: the stores are made from other directories
fx=$(cd "$top_srcdir/tests/fixtures/dsp" && pwd)
t=$(tmpdir) || exit 1
trap 'rm -rf "$t"' EXIT
plan 5
ok() { if [ "$1" -eq 0 ]; then pass "$2"; else fail "$2"; fi; }
P="--audio-rate 8000 --fit-seconds 0.25 --n-fft 256 --hop 80 --image-size 28"
{ printf 'id\tlabel\tsplit\taudio\tvisual\n'
  i=0
  while [ $i -lt 40 ]; do
      printf 's%03d\t%d\ttrain\t%s\t%s\n' $i $((i % 3)) "$fx/au_sine8k.wav" "$fx/png_grey8.png"
      i=$((i + 1))
  done; } >"$t/m.tsv"
# make DIR ARGS...: the store DIR/s.h5, made from inside DIR (same -o text)
make_store() {
    d=$1; shift
    mkdir -p "$t/$d" && (cd "$t/$d" && SOURCE_DATE_EPOCH=86400 "$prep" $P "$@" -o s.h5 ../m.tsv)
}
make_store j1 -q -j 1 && make_store j2 --jobs=2 -q && make_store j2c -qj2 &&
    make_store j3 --jo 3 --quiet
ok $? "asgml-prep with -j 1, --jobs=2, -qj2, --jo 3 --quiet"
cmp "$t/j1/s.h5" "$t/j2/s.h5"
ok $? "--jobs 1 and --jobs 2: the same bytes"
cmp "$t/j1/s.h5" "$t/j2c/s.h5" && cmp "$t/j1/s.h5" "$t/j3/s.h5"
ok $? "-qj2 and --jo 3 --quiet: the same bytes"
cl=$(h5dump -a /command_line "$t/j2/s.h5" 2>/dev/null | sed -n 's/.*(0): "\(.*\)"$/\1/p')
case $cl in *"-o s.h5 ../m.tsv"*) case $cl in *-j*|*jobs*|*-q*|*quiet*) false ;; esac ;; *) false ;; esac
ok $? "command_line keeps the rest, without --jobs/--quiet: $cl"
# a cluster that names the output stays whole (it is not only -q)
mkdir -p "$t/c" && (cd "$t/c" && SOURCE_DATE_EPOCH=86400 "$prep" $P -j 1 -qo s.h5 ../m.tsv)
cl=$(h5dump -a /command_line "$t/c/s.h5" 2>/dev/null | sed -n 's/.*(0): "\(.*\)"$/\1/p')
case $cl in *"-qo s.h5"*) true ;; *) false ;; esac
ok $? "-qo FILE is recorded as given: $cl"
done_testing
