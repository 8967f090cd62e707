#!/bin/sh
# SPDX-License-Identifier: MIT
# prep-avdigits.sh - data-recipes/av-digits.mk on the real AV-Digits files
# ($ASGML_AVDIGITS): both stores (wall time printed as a diagnostic, never
# checked: speed is measured in bench/), the documented layout
# (h5dump -H), FSDD splits, distinct same-digit pairing, the vweak
# degradation, verify, reproducibility, and a corrupt file in the manifest
# giving the documented error and no output.
. "$top_srcdir/tests/lib.sh"
if [ -z "$ASGML_AVDIGITS" ] || [ ! -d "$ASGML_AVDIGITS/fsdd" ]; then
    skip_all "AV-Digits not found (set ASGML_AVDIGITS)"
fi
command -v h5dump >/dev/null 2>&1 || skip_all "h5dump not installed"
prep=$(cd "$top_builddir/tools" && pwd)/asgml-prep
t=$(tmpdir) || exit 1
trap 'rm -rf "$t"' EXIT
plan 24

start=$(date +%s)
make -s -f "$top_srcdir/data-recipes/av-digits.mk" AVDIGITS="$ASGML_AVDIGITS" OUT="$t/stores" \
    ASGML_PREP="$prep" SEED=1 >"$t/log" 2>&1
st=$?
secs=$(( $(date +%s) - start ))
check "recipe builds both stores (exit $st)" test $st -eq 0 -a -f "$t/stores/avdigits-clean.h5" -a -f "$t/stores/avdigits-vweak.h5"
check "recipe log names no error" sh -c "! grep -qi 'error' '$t/log'"
echo "# recipe wall time: $secs s"

h5dump -H "$t/stores/avdigits-vweak.h5" >"$t/H" 2>&1
has() {   # has DATASET 'DATASPACE text'
    awk -v d="DATASET \"$1\"" -v s="$2" 'index($0, d) { on = 1; next } on && /DATASPACE/ { print (index($0, s) ? "yes" : "no"); exit }' "$t/H" | grep -q yes
}
check "/audio/spec (3000,129,101)" has spec "( 3000, 129, 101 )"
check "/audio/wave (3000,8000)" has wave "( 3000, 8000 )"
check "/visual/image (3000,28,28)" has image "( 3000, 28, 28 )"
check "/visual/image_clean (3000,28,28)" has image_clean "( 3000, 28, 28 )"
check "/meta datasets present" sh -c "for d in id label class_names status group group_names take mnist_file mismatch mismatch_file; do grep -q \"DATASET \\\"\$d\\\"\" '$t/H' || exit 1; done"
check "/splits/fsdd/test has 300" has test "( 300 )"
check "/splits/fsdd/train has 2700" has train "( 2700 )"
check "spec is float32, image uint8" sh -c "grep -A1 'DATASET \"spec\"' '$t/H' | grep -q H5T_IEEE_F32LE && grep -A1 'DATASET \"image\"' '$t/H' | grep -q H5T_STD_U8LE"
check "root attributes" sh -c "for a in format format_version dataset preset tool_version created_utc command_line seed num_samples num_classes modalities params_json content_sha256 default_split; do grep -q \"ATTRIBUTE \\\"\$a\\\"\" '$t/H' || exit 1; done"
h5dump -p -d /audio/spec "$t/stores/avdigits-clean.h5" 2>/dev/null | sed -n '/STORAGE_LAYOUT/,/FILLVALUE/p' >"$t/P"
check "one chunk per sample, deflate" sh -c "grep -q 'CHUNKED ( 1, 129, 101 )' '$t/P' && grep -q DEFLATE '$t/P'"

check_exit 0 "verify both stores" "$prep" verify "$t/stores/avdigits-clean.h5" "$t/stores/avdigits-vweak.h5"
h5dump -y -d /meta/mnist_file "$t/stores/avdigits-clean.h5" 2>/dev/null | grep -o '"mnist/[0-9]/[0-9]*\.png"' >"$t/files"
check "3000 distinct MNIST images" test "$(sort -u "$t/files" | wc -l)" -eq 3000
h5dump -y -d /meta/id "$t/stores/avdigits-clean.h5" 2>/dev/null | grep -o '"[0-9]_[a-z]*_[0-9]*' | tr -d '"' >"$t/ids"
paste "$t/ids" "$t/files" | awk '{ split($1, a, "_"); if (substr($2, 8, 1) != a[1]) bad++ } END { exit bad > 0 }'
check "each clip paired with an image of its own digit" test $? -eq 0
check "ids sorted bytewise" sh -c "LC_ALL=C sort -c '$t/ids'"
m=$(h5dump -y -d /meta/mismatch "$t/stores/avdigits-vweak.h5" 2>/dev/null | tr -c '01\n' ' ' | tr ' ' '\n' | grep -c '^1$')
check "vweak: about 40 % of the images replaced ($m of 3000)" test "$m" -gt 1080 -a "$m" -lt 1320
cs=$(h5dump -a content_sha256 "$t/stores/avdigits-clean.h5" | grep '(0)')

# the same command again gives the same content (and the same manifest)
mkdir "$t/again"
"$prep" avdigits-manifest --src "$ASGML_AVDIGITS" --seed 1 -o "$t/again/m.tsv"
check "manifest reproducible from the seed" cmp -s "$t/again/m.tsv" "$t/stores/avdigits.manifest.tsv"
"$prep" -q --preset avdigits-clean --seed 1 --jobs 1 "$t/stores/avdigits.manifest.tsv" -o "$t/again/c.h5"
cs2=$(h5dump -a content_sha256 "$t/again/c.h5" | grep '(0)')
check "clean store content reproducible (1 thread vs all)" test -n "$cs" -a "$cs" = "$cs2"
"$prep" avdigits-manifest --src "$ASGML_AVDIGITS" --seed 2 -o "$t/again/m2.tsv"
check "another seed pairs differently" sh -c "! cmp -s '$t/again/m.tsv' '$t/again/m2.tsv'"

# a corrupt file in the manifest: documented error, exit 1, no output
mkdir "$t/bad" "$t/badout"
head -c 3000 "$ASGML_AVDIGITS/fsdd/3_theo_7.wav" >"$t/bad/3_theo_7.wav"
sed "s|fsdd/3_theo_7.wav|$t/bad/3_theo_7.wav|" "$t/stores/avdigits.manifest.tsv" >"$t/bad/m.tsv"
line=$(grep -n "^3_theo_7	" "$t/bad/m.tsv" | cut -d: -f1)
"$prep" --preset avdigits "$t/bad/m.tsv" -o "$t/badout/x.h5" 2>"$t/err"
st=$?
check "corrupt clip: exit 1" test $st -eq 1
check "corrupt clip: 'asgml-prep: MANIFEST:LINE: FILE: what'" grep -q "^asgml-prep: $t/bad/m.tsv:$line: $t/bad/3_theo_7.wav: truncated" "$t/err"
check "corrupt clip: no output, no temporary file" test "$(ls -A "$t/badout" | wc -l)" -eq 0
"$prep" -q --preset avdigits --skip-bad "$t/bad/m.tsv" -o "$t/badout/x.h5" 2>"$t/err"
check "--skip-bad keeps the other 2999" sh -c "h5dump -H '$t/badout/x.h5' | grep -q '( 2999, 129, 101 )'"
done_testing
