#!/bin/sh
# SPDX-License-Identifier: MIT
# prep-utf8.sh - issue 13, item 6: asgml-prep refuses a manifest whose id is
# not ASCII or whose label, group, meta:NAME:str value, #@classes or
# #@dataset is not well-formed UTF-8 ("asgml-prep: MANIFEST:LINE: ...",
# exit 1; --skip-bad skips the row), and `asgml-prep verify` names a store
# whose strings break asgml-store(5)'s encodings (tests/store-mktext writes
# them with a correct checksum).  Before: the bytes were stored as they
# were, verify said OK, and h5py raised on reading them.
. "$top_srcdir/tests/lib.sh"
prep=$(bin asgml-prep)
mktext="$top_builddir/tests/store-mktext"
fx=$(cd "$top_srcdir/tests/fixtures/dsp" && pwd)
t=$(tmpdir) || exit 1
trap 'rm -rf "$t"' EXIT
plan 19
P="--audio-rate 8000 --fit-seconds 0.25 --n-fft 256 --hop 80 --image-size 28 -q -j 1"
# manifest NAME [DIRECTIVE]: 20 good rows (labels cat/chien, one UTF-8 "é" in a group name)
manifest() {
    { [ -n "$2" ] && printf '%s\n' "$2"
      printf 'id\tlabel\tsplit\tgroup\tmeta:note:str\taudio\tvisual\n'
      i=0
      while [ $i -lt 20 ]; do
          sp=train; [ $i -lt 4 ] && sp=test
          lab=cat; [ $((i % 2)) -eq 0 ] && lab=chien
          printf 's%03d\t%s\t%s\tr\303\251g%d\tn%d\t%s\t%s\n' $i $lab $sp $((i % 3)) $i \
              "$fx/au_sine8k.wav" "$fx/png_grey8.png"
          i=$((i + 1))
      done; } >"$t/$1.tsv"
}
# bad NAME ID LABEL GROUP NOTE: the good manifest plus one row (line 22)
bad() {
    manifest "$1"
    printf '%s\t%s\ttrain\t%s\t%s\t%s\t%s\n' "$2" "$3" "$4" "$5" "$fx/au_sine8k.wav" \
        "$fx/png_grey8.png" >>"$t/$1.tsv"
}
# refused NAME PATTERN: exit 1, exactly one line "asgml-prep: MANIFEST:LINE: PATTERN", no store
refused() {
    "$prep" $P "$t/$1.tsv" -o "$t/$1.h5" 2>"$t/err"; rc=$?
    test $rc -eq 1 && test "$(wc -l <"$t/err")" -eq 1 &&
        grep -q "^asgml-prep: $t/$1.tsv:$2" "$t/err" && test ! -e "$t/$1.h5"
}
manifest good
"$prep" $P "$t/good.tsv" -o "$t/good.h5" 2>"$t/err"
check "a manifest with UTF-8 group names is accepted: $(head -c 200 "$t/err")" test -f "$t/good.h5"
check "... and verifies" "$prep" verify "$t/good.h5"
bad id_utf8 "s$(printf '\303\251')" cat g x
check "a UTF-8 but non-ASCII id: refused naming line 22 and the byte: $(head -c 200 "$t/err")" \
    refused id_utf8 "22: id: byte 2 (0xC3) is not ASCII$"
bad id_latin1 "s$(printf '\351')x" cat g x
check "a Latin-1 id: refused" refused id_latin1 "22: id: byte 2 (0xE9) is not ASCII$"
bad label "s100" "chat$(printf '\351')" g x
check "a Latin-1 label: refused: $(head -c 200 "$t/err")" refused label "22: label: invalid UTF-8 at byte 5$"
bad overlong "s100" "$(printf 'c\300\257')" g x
check "an overlong UTF-8 form in a label: refused" refused overlong "22: label: invalid UTF-8 at byte 2$"
bad surrogate "s100" "$(printf 'c\355\240\200')" g x
check "a UTF-16 surrogate (CESU) in a label: refused" refused surrogate "22: label: invalid UTF-8 at byte 2$"
bad group "s100" cat "$(printf 'g\377')" x
check "an invalid group name: refused" refused group "22: group: invalid UTF-8 at byte 2$"
bad note "s100" cat g "$(printf '\342\202')"
check "a truncated sequence in a meta:note:str value: refused" \
    refused note "22: column meta:note: invalid UTF-8 at byte 1$"
manifest classes "$(printf '#@classes\tcat\tchi\351n')"
check "an invalid #@classes name: refused on line 1" refused classes "1: #@classes: class 2: invalid UTF-8 at byte 4$"
manifest dataset "$(printf '#@dataset\tx\377')"
check "an invalid #@dataset: refused on line 1" refused dataset "1: #@dataset: invalid UTF-8 at byte 2$"
"$prep" $P --skip-bad --max-bad 0.1 "$t/label.tsv" -o "$t/skip.h5" 2>"$t/err"; rc=$?
check "--skip-bad skips the row (exit $rc) and the store verifies" \
    sh -c "test $rc -eq 0 && grep -q 'label.tsv:22: label: invalid UTF-8 at byte 5 (skipped)' '$t/err' &&
           '$prep' verify '$t/skip.h5' >/dev/null"

# ---- asgml-prep verify reads the strings, not only the checksum
"$mktext" "$t/t-good.h5" good || { echo "Bail out! store-mktext failed"; exit 1; }
check "store-mktext good: verify OK" "$prep" verify "$t/t-good.h5"
for k in id class group meta attr; do "$mktext" "$t/t-$k.h5" $k; done
v() {   # v KIND PATTERN: verify exits 1 and its line matches
    "$prep" verify "$t/t-$1.h5" >"$t/out" 2>"$t/err"; rc=$?
    test $rc -eq 1 && grep -q "^asgml-prep: $t/t-$1.h5: $2" "$t/err"
}
check "verify: a non-ASCII id: $(v id x; head -c 200 "$t/err")" v id "/meta/id\\[3\\]: byte 2 (0xC3) is not ASCII"
check "verify: a Latin-1 class name" v class "/meta/class_names\\[1\\]: invalid UTF-8 at byte 4"
check "verify: an invalid group name" v group "/meta/group_names\\[0\\]: invalid UTF-8 at byte 2"
check "verify: an invalid meta string" v meta "/meta/note\\[3\\]: invalid UTF-8 at byte 1"
check "verify: an invalid root attribute" v attr "root attribute dataset: invalid UTF-8 at byte 2"
"$prep" verify "$t/t-good.h5" "$t/t-class.h5" >"$t/out" 2>"$t/err"; rc=$?
check "verify of two stores: exit 1, the good one OK, the bad one named" \
    sh -c "test $rc -eq 1 && grep -q 't-good.h5: OK' '$t/out' && grep -q 't-class.h5: /meta/class_names' '$t/err'"
done_testing
