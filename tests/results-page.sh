#!/bin/sh
# SPDX-License-Identifier: MIT
# results-page.sh - `make -f data-recipes/grid-study.mk results` (issue 16
# item 3) on a toy study: the real grid file trains a few of its cells
# (width 2, 2 epochs, seeds 1 2) on the tests/probe-mkstore store standing in
# for the vweak and clean stores (clean with a validation hold-out), and the
# page it writes is checked against asgml-report run here on the same
# runs' summaries (CSV, 12 digits; and the baseline mean recomputed from the
# summary.json files): every table row, the reference, "not run" for the
# regimes without runs, the header, the findings file included verbatim,
# the curves (asgml-boost's boost.* signals included), a failure leaving
# the previous page, the grid-av-digits.mk forwarding, and a rerun after
# deleting runs changing the page.
. "$top_srcdir/tests/lib.sh"
command -v "${MAKE:-make}" >/dev/null 2>&1 || skip_all "make not installed"
MAKE=${MAKE:-make}
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
"$MAKE" --version 2>/dev/null | grep -q "GNU Make [4-9]" || skip_all "GNU make 4 needed"
src=$(cd "$top_srcdir" && pwd)
build=$(cd "$top_builddir" && pwd)
report="$build/tools/asgml-report"
t=$(tmpdir) || exit 1
trap 'rm -rf "$t"' EXIT
plan 38

mkdir -p "$t/st"
"$build/tests/probe-mkstore" "$t/st/toy.h5" 256 || { echo "Bail out! probe-mkstore failed"; exit 1; }
ln -s toy.h5 "$t/st/avdigits-vweak.h5" && ln -s toy.h5 "$t/st/avdigits-clean.h5"
page="$t/doc/av.md"
cv="$t/doc/av"
# the study grid, made small: every variable a user would set
gm() { "$MAKE" --no-print-directory -C "$t" -f "$src/data-recipes/grid-study.mk" \
    STUDY_ROOT=g STORES=st EPOCHS=2 WIDTH=2 SEEDS="1 2" SCHEME= \
    ASGML_TRAIN="$build/tools/asgml-train" ASGML_REPORT="$report" \
    RESULTS_PAGE=doc/av.md RESULTS_FINDINGS=findings.md "$@"; }
boost="--set asgml-boost.eval-freq=1"   # 3 batches per epoch here

# a few cells of each regime, by the grid's own names
gm REGIME=vweak list | grep -E '/(baseline|ogm-ge_ogm-ge.end-1|asgml-boost)_seed-[12]$' >"$t/vweak.cells"
gm REGIME=clean list | grep -E '/(baseline|ogm-ge_ogm-ge.end-1)_seed-[12]$' >"$t/clean.cells"
check "the grid names the toy cells (6 vweak, 4 clean)" \
    test "$(wc -l <"$t/vweak.cells")" -eq 6 -a "$(wc -l <"$t/clean.cells")" -eq 4
gm -s -j2 REGIME=vweak EXTRA_ARGS="$boost" $(sed 's,$,/summary.json,' "$t/vweak.cells") >"$t/log1" 2>&1 &&
gm -s -j2 REGIME=clean EXTRA_ARGS="--set data.val-fraction=0.25" \
    $(sed 's,$,/summary.json,' "$t/clean.cells") >>"$t/log1" 2>&1; st=$?
check "the toy cells train (exit $st)" test $st -eq 0
[ $st -eq 0 ] || sed 's/^/# /' "$t/log1"

printf 'Hand-written line one.\n\n| a | b |\n|--|--|\n| 1 | 2 |\n' >"$t/findings.md"
gm -s results >"$t/log2" 2>&1; st=$?
check "make results writes the page (exit $st)" test $st -eq 0 -a -s "$page"
[ $st -eq 0 ] || sed 's/^/# /' "$t/log2"

# ---- header ----
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
    want="commit $(git -C "$src" describe --always --tags)"
else
    want=$("$report" --version | head -n 1)
fi
check "header: made by $want" grep -qF -- "- made by: $want" "$page"
check "header: today's date" grep -q "^- date: $(date -u +%Y-%m-%d) " "$page"
check "header: the command, with its variables" \
    grep -qF -- "- command: \`make -f $src/data-recipes/grid-study.mk results " "$page"
check "header: the scaled epoch windows" grep -q "^- epoch windows scaled .*ogm-ge.end=1;" "$page"

# ---- the tables equal asgml-report's ----
# rows REGIME HEADING: the table rows under "### HEADING" of "## REGIME"
rows() {
    awk -v r="## $1" -v h="### $2" '
        $0 == r { inr = 1; next }
        inr && /^## / { inr = 0 }
        inr && index($0, h) == 1 { intab = 1; next }
        inr && /^### / { intab = 0 }
        inr && intab && /^\| / && !/^\| Group \|/ { print }' "$page"
}
# same REGIME HEADING RECORD: every row of the page's table equals the CSV
# of asgml-report on the same summaries, to the page's printed digits
same() {
    d="$t/g/study-$1"
    rows "$1" "$2" >"$t/page.rows"
    "$report" -f csv --percent --test paired --vs-run="$d/baseline_seed-1" --record "$3" \
        "$d"/*/summary.json >"$t/csv" 2>/dev/null || { echo "# asgml-report failed"; return 1; }
    awk -F, -v csv="$t/csv" '
        function trim(s) { gsub(/^ +| +$/, "", s); gsub(/\\_/, "_", s); return s }
        function near(a, b, tol) { return (a - b) <= tol && (b - a) <= tol }
        function num(pg, c, tol) {            # page cell vs CSV value
            if (pg == "n/a") return c == ""
            return c != "" && near(pg + 0, c + 0, tol)
        }
        function pv(pg, c) {
            if (pg == "" || pg == "n/a") return c == ""
            if (pg == "<0.001") return c != "" && c + 0 < 0.001
            return c != "" && near(pg + 0, c + 0, 0.0005 + 1e-9)
        }
        BEGIN {
            while ((getline l < csv) > 0) {
                if (l ~ /^group,/) continue
                split(l, f, ","); k = f[1] SUBSEP f[4]; nc++
                n[k] = f[5]; mean[k] = f[6]; sd[k] = f[7]; mn[k] = f[8]; mx[k] = f[9]
                lo[k] = f[10]; hi[k] = f[11]; vs[k] = f[13]; diff[k] = f[14]
                p[k] = f[18]; ph[k] = f[19]
            }
            FS = "|"; tol = 0.00005 + 1e-9
        }
        {
            g = trim($2); m = trim($3); k = g SUBSEP m
            if (!(k in n) || seen[k]++) { print "# page row not in the CSV: " $0; bad++; next }
            ci = trim($9); clo = ci; chi = ci
            if (ci != "n/a") { gsub(/[][]/, "", ci); split(ci, c, ", "); clo = c[1]; chi = c[2] }
            dv = trim($10)
            okd = (dv == "(reference)") ? (g == vs[k] && diff[k] == "") : num(dv, diff[k], tol)
            if (trim($4) != n[k] || !num(trim($5), mean[k], tol) || !num(trim($6), sd[k], tol) ||
                !num(trim($7), mn[k], tol) || !num(trim($8), mx[k], tol) ||
                !num(clo, lo[k], tol) || !num(chi, hi[k], tol) || !okd ||
                !pv(trim($11), p[k]) || !pv(trim($12), ph[k])) {
                print "# differs from the CSV: " $0; bad++
            }
            rowsn++
        }
        END { if (rowsn != nc) print "# " rowsn " page rows, " nc " CSV rows"
              exit !(bad == 0 && rowsn == nc && nc > 0) }' "$t/page.rows"
}
check "vweak, last epoch: every row = asgml-report" same vweak "Last epoch" last
check "vweak, best on test: every row = asgml-report" same vweak "Best epoch on test" best-test
check "clean, last epoch: every row = asgml-report" same clean "Last epoch" last
check "clean, best on validation (a hold-out): every row = asgml-report" \
    same clean "Best epoch on validation" best-val
check "vweak has no validation split: best-val said unavailable" \
    sh -c "awk '/^## vweak\$/,/^## vhard/' '$page' | grep -A2 '^### Best epoch on validation' | grep -q '^Not available'"
rows vweak "Last epoch" >"$t/vw.rows"
check "vweak table: 3 groups x 4 metrics, paired t against baseline" \
    sh -c "test \$(wc -l <'$t/vw.rows') -eq 12 && test \$(grep -c '| paired t |\$' '$t/vw.rows') -eq 8 &&
           test \$(grep -c '(reference)' '$t/vw.rows') -eq 4"
# independently of asgml-report: the baseline mean from the summaries
mean=$(for f in "$t"/g/study-vweak/baseline_seed-*/summary.json; do
           sed -n '/"last": {/,/}/p' "$f" | sed -n 's/^ *"test\.acc": *\([^,]*\),*$/\1/p'; done |
       awk '{ s += $1; c++ } END { if (c == 2) printf "%.10f", 100 * s / c }')
pm=$(awk -F'|' '$2 ~ /^ baseline $/ && $3 ~ /^ test\.acc $/ { print $5 + 0 }' "$t/vw.rows")
check "vweak baseline test.acc = mean of its summaries' last test.acc x 100 ($pm vs $mean)" \
    awk -v a="$pm" -v b="$mean" 'BEGIN { exit !(b != "" && (a - b) ^ 2 <= (0.00005 + 1e-9) ^ 2) }'
check "the tables name their exact asgml-report commands" \
    grep -qF "\`asgml-report --percent --test paired --vs-run=g/study-vweak/baseline_seed-1 --record last g/study-vweak/*/summary.json\`" "$page"

# ---- regimes without runs ----
check "vhard: not run" grep -qx "## vhard: not run" "$page"
check "aweak: not run" grep -qx "## aweak: not run" "$page"
check "vweak and clean have sections, not 'not run'" \
    sh -c "grep -qx '## vweak' '$page' && grep -qx '## clean' '$page' && ! grep -q '^## \(vweak\|clean\): not run' '$page'"
check "runs counted against the grid's cells" \
    grep -q "^Runs: 6 in \`g/study-vweak\` (6 complete); of the [0-9]* cells the grid lists, [0-9]* have no run\.\$" "$page"

# ---- findings: verbatim, between markers ----
sed -n '/^<!-- begin findings.md (hand-written) -->$/,/^<!-- end findings.md -->$/p' "$page" | sed '1d;$d' >"$t/f.out"
check "the findings file is included verbatim between markers" cmp -s "$t/findings.md" "$t/f.out"

# ---- curves ----
check "curves: one directory per method besides the reference" \
    sh -c "test -d '$cv/vweak/ogm-ge' -a -d '$cv/vweak/asgml-boost' -a -d '$cv/clean/ogm-ge' -a ! -e '$cv/vweak/baseline'"
check "curves: OGM-GE k_m and accuracy per modality" \
    test -s "$cv/vweak/ogm-ge/ogm.k.dat" -a -s "$cv/vweak/ogm-ge/accuracy-per-modality.dat"
check "curves: asgml-boost's scales and probe accuracies (boost.*)" \
    test -s "$cv/vweak/asgml-boost/boost.scale.dat" -a -s "$cv/vweak/asgml-boost/boost.acc.dat"
check "curves: baseline is drawn with each method" grep -q '^baseline' "$cv/vweak/asgml-boost/curves.tsv"
sed -n 's/^!\[[^]]*\](\([^)]*\))$/\1/p' "$page" >"$t/links"
miss=$(cd "$t/doc" && while read -r l; do [ -f "$l" ] || echo "$l"; done <"$t/links")
check "every image link of the page resolves (missing: ${miss:-none})" test -z "$miss"
if command -v "${GNUPLOT:-gnuplot}" >/dev/null 2>&1; then
    check "with gnuplot: the page shows the PNGs ($(wc -l <"$t/links"))" \
        grep -q "^av/vweak/asgml-boost/boost.scale.png\$" "$t/links"
else
    pass "# SKIP gnuplot not installed: no PNGs"
fi

# ---- a failure leaves the previous page and no temporary files ----
cp "$page" "$t/page.before"; ls -R "$cv" >"$t/cv.before"
f="$t/g/study-vweak/ogm-ge_ogm-ge.end-1_seed-2/summary.json"   # the first regime: fails early
cp "$f" "$t/keep.json" && echo '{' >"$f"
gm -s results >"$t/log3" 2>&1; st=$?
check "a malformed summary.json: make results fails (exit $st)" test $st -ne 0
check "... the page and its curves unchanged, no temporary left" \
    sh -c "cmp -s '$page' '$t/page.before' && ls -R '$cv' | cmp -s - '$t/cv.before' &&
           test -z \"\$(ls -a '$t/doc' | grep -e '\.tmp\.' -e '\.old\.')\""
cp "$t/keep.json" "$f"

# ---- the forwarding file ----
body() { sed '1,/^## Findings/d' "$1"; }
"$MAKE" --no-print-directory -C "$t" -f "$src/data-recipes/grid-av-digits.mk" results \
    STUDY_ROOT=g STORES=st EPOCHS=2 WIDTH=2 SEEDS="1 2" ASGML_REPORT="$report" \
    RESULTS_PAGE=doc/av.md RESULTS_FINDINGS=findings.md >"$t/log4" 2>&1; st=$?
check "make -f grid-av-digits.mk results (exit $st)" test $st -eq 0
check "... names itself in the page's command" \
    grep -qF -- "- command: \`make -f $src/data-recipes/grid-av-digits.mk results " "$page"
body "$t/page.before" >"$t/b1"; body "$page" >"$t/b2"
check "... and writes the same tables and curves" cmp -s "$t/b1" "$t/b2"

# ---- runs deleted: the page follows ----
rm -rf "$t/g/study-vweak/ogm-ge_ogm-ge.end-1_seed-2" "$t/g/study-clean"
rm -f "$t/findings.md"
touch -d 2001-01-01 "$page"
gm -s results >"$t/log5" 2>&1; st=$?
check "rerun after deleting runs (exit $st)" test $st -eq 0
check "... the page was rewritten" test "$(date -r "$page" +%Y)" != 2001
body "$page" >"$t/b3"
check "... and changed" sh -c "! cmp -s '$t/b2' '$t/b3'"
rows vweak "Last epoch" >"$t/vw2.rows"
check "... vweak counts 5 runs, ogm-ge n = 1" \
    sh -c "grep -q '^Runs: 5 in' '$page' && grep -q '^| ogm-ge | test.acc | 1 |' '$t/vw2.rows'"
check "... its rows still equal asgml-report" same vweak "Last epoch" last
check "... clean is now not run, its old curves gone" \
    sh -c "grep -qx '## clean: not run' '$page' && test ! -e '$cv/clean'"
check "... no findings file: the page says none" grep -q '^None: `findings.md` does not exist\.$' "$page"
done_testing
